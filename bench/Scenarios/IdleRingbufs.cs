using System.Diagnostics;
using System.Globalization;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// Issue 10, "create O(1)" and memory bounds: N ringbufs (size 4096 each) created over REST in one
/// run. The first and the last N/10 (at most 1,000) are created one at a time and each create is
/// timed, so the ratio shows whether a create grows with the chardevs already there; the ones in
/// between go 4 at a time, untimed. Then the server's RSS with all N idle, against none.
/// </summary>
public sealed class IdleRingbufs : IScenario
{
    private const int RingSize = 4096;
    private const int Parallel = 4;
    private const int MaxWindow = 1000;

    public string Name => "idle-ringbufs";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Options.Ringbufs;
        if (count < 2)
        {
            throw new ArgumentException($"--ringbufs must be at least 2 (a first and a last window), got {count}");
        }

        var window = Math.Clamp(count / 10, 1, MaxWindow);
        var settings = new Dictionary<string, string>
        {
            // The defaults (4096 chardevs, 1 GiB of buffers) are below what a large run asks for.
            ["CharWeb__Limits__MaxChardevs"] = (count + 1).ToString(CultureInfo.InvariantCulture),
            ["CharWeb__Limits__MaxBufferBytes"] = Math.Max(1L << 30, (count + 1L) * RingSize).ToString(CultureInfo.InvariantCulture),
        };
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, settings);

        // Create and remove one ringbuf again and again first, so that the first window does not pay for the JIT
        // (which would flatter the ratio) and the empty baseline is a warmed-up server.
        await server.Http.GetStringAsync("/api/chardevs", cancellationToken);
        await Warmup.RunAsync(context.Options, async round =>
        {
            await CreateAsync(server, $"warmup{round}", cancellationToken);
            await server.DeleteAsync($"warmup{round}", cancellationToken);
        });
        var empty = server.ResidentBytes();

        var first = await TimeEachAsync(server, 0, window, cancellationToken);
        await System.Threading.Tasks.Parallel.ForAsync(window, count - window, new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = cancellationToken }, async (i, ct) =>
            await CreateAsync(server, i, ct));
        var last = await TimeEachAsync(server, Math.Max(window, count - window), count, cancellationToken);
        var loaded = server.ResidentBytes();

        var firstMs = first.Sum();
        var lastMs = last.Sum();
        var perChardev = (loaded - empty) / 1024.0 / count;
        return
        [
            new(Name, $"time to create the last {last.Length} of {count} (one at a time)", lastMs, "ms", firstMs, $"first {first.Length}", "≤ 1.5x (no scan of all chardevs per create)", lastMs <= 1.5 * firstMs),
            new(Name, $"median create, last {last.Length}", LatencyRows.Percentile(last, 0.5), "ms", LatencyRows.Percentile(first, 0.5), $"first {first.Length}", "informational", null),
            new(Name, $"server RSS with {count} idle ringbufs", loaded / 1e6, "MB", empty / 1e6, "RSS with none", "< 500 MB", loaded < 500_000_000),
            new(Name, "RSS per ringbuf", perChardev, "KiB", null, "", "< 50 KiB", perChardev < 50),
        ];
    }

    /// <summary>Creates ringbufs <paramref name="from"/> up to <paramref name="to"/> one after the other; answers each create's milliseconds.</summary>
    private static async Task<double[]> TimeEachAsync(CharWebProcess server, int from, int to, CancellationToken cancellationToken)
    {
        var times = new double[to - from];
        for (var i = from; i < to; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await CreateAsync(server, i, cancellationToken);
            times[i - from] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return times;
    }

    private static Task CreateAsync(CharWebProcess server, int index, CancellationToken cancellationToken) =>
        CreateAsync(server, $"rb{index}", cancellationToken);

    private static Task CreateAsync(CharWebProcess server, string id, CancellationToken cancellationToken) =>
        server.CreateAsync(new { id, backend = new { type = "ringbuf", size = RingSize } }, cancellationToken);
}
