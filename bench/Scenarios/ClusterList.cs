using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// Issue 12, "directory of 10,000 chardevs over 3 nodes": N ringbufs spread over three nodes sharing a real
/// <c>redis-server</c>, and <c>GET /api/chardevs</c> on one node, which lists them all (its own from memory, the
/// others' from the directory in Redis); baseline: one node without a cluster holding the same N itself.
/// </summary>
public sealed class ClusterList : IScenario
{
    private const int Parallel = 4;
    private const int Lists = 50;
    private static readonly string[] Nodes = ["a", "b", "c"];

    public string Name => "cluster-list";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Options.ClusterChardevs;
        var limits = new Dictionary<string, string> { ["CharWeb__Limits__MaxChardevs"] = (count + 10).ToString(CultureInfo.InvariantCulture) };

        double[] single;
        await using (var alone = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, limits))
        {
            await CreateAsync(alone, 0, count, cancellationToken);
            single = await TimeListsAsync(alone, count + 1, cancellationToken);
        }

        await using var cluster = await BenchCluster.StartAsync(context.AppDir, Nodes, limits, cancellationToken);

        // Each node makes its share itself; the first node then lists every one of them.
        var share = count / Nodes.Length;
        for (var i = 0; i < Nodes.Length; i++)
        {
            var from = i * share;
            await CreateAsync(cluster.Nodes[i], from, i == Nodes.Length - 1 ? count - from : share, cancellationToken);
        }

        var clustered = await TimeListsAsync(cluster.Nodes[0], count + Nodes.Length, cancellationToken);
        return [.. LatencyRows.Rows(Name, $"GET /api/chardevs on node a, {count} chardevs over {Nodes.Length} nodes", clustered, single, $"1 node, {count} of its own", 100)];
    }

    private static Task CreateAsync(CharWebProcess server, int from, int count, CancellationToken cancellationToken) =>
        System.Threading.Tasks.Parallel.ForAsync(from, from + count, new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = cancellationToken }, async (i, ct) =>
            await server.CreateAsync(new { id = $"rb{i}", backend = new { type = "ringbuf", size = 1024 } }, ct));

    /// <summary>Waits until the list holds <paramref name="expected"/> chardevs (the directory is written on the heartbeat), then times <see cref="Lists"/> lists.</summary>
    private static async Task<double[]> TimeListsAsync(CharWebProcess server, int expected, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        while ((await ListAsync(server, timeout.Token)).Count < expected)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token);
        }

        // Timed to the answer's last byte; parsed (to check it is whole) outside the time.
        var times = new double[Lists];
        for (var i = 0; i < Lists; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var body = await server.Http.GetByteArrayAsync("/api/chardevs", cancellationToken);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (JsonNode.Parse(body)!.AsArray().Count < expected)
            {
                throw new InvalidOperationException($"the list shrank below {expected} chardevs");
            }
        }

        return times;
    }

    private static async Task<JsonArray> ListAsync(CharWebProcess server, CancellationToken cancellationToken) =>
        JsonNode.Parse(await server.Http.GetByteArrayAsync("/api/chardevs", cancellationToken))!.AsArray();
}
