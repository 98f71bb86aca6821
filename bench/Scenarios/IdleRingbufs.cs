namespace CharWeb.Bench.Scenarios;

/// <summary>
/// N idle ringbuf chardevs (size 4096 each, so the rings themselves are 4 MB at 1,000): the server's
/// RSS against the same server with none.
/// </summary>
public sealed class IdleRingbufs : IScenario
{
    private const int RingSize = 4096;
    private const int Parallel = 4;

    public string Name => "idle-ringbufs";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Options.Ringbufs;
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken);

        // One request first so that the empty baseline includes a warmed-up HTTP pipeline.
        await server.Http.GetStringAsync("/api/chardevs", cancellationToken);
        var empty = server.ResidentBytes();
        await System.Threading.Tasks.Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = cancellationToken }, async (i, ct) =>
            await server.CreateAsync(new { id = $"rb{i}", backend = new { type = "ringbuf", size = RingSize } }, ct));
        var loaded = server.ResidentBytes();
        var perChardev = (loaded - empty) / 1024.0 / count;
        return
        [
            new(Name, $"server RSS with {count} ringbufs", loaded / 1e6, "MB", empty / 1e6, "RSS with none", "< 200 MB", loaded < 200_000_000),
            new(Name, "RSS per ringbuf", perChardev, "KiB", null, "", "informational", null),
        ];
    }
}
