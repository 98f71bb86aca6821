using System.Diagnostics;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// pty chardev (the default <c>flow: pace</c>) → MessagePack consoles that ack, while <c>dd</c> writes N MB
/// flat out into the slave; the console that keeps up must lose nothing.
/// Baseline: the same <c>dd</c> into a pty the harness opens itself, its master read directly, in the
/// same run. Then 1, 10, 100 consoles: mean per-console MB/s as a ratio to 1 console.
/// </summary>
public sealed class PtyThroughput : IScenario
{
    private const long WarmupBytes = 16_000_000;

    public string Name => "pty-throughput";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.PtyMegabytes * 1_000_000L;
        var folder = Directory.CreateTempSubdirectory("charweb-bench-pty-").FullName;
        try
        {
            var source = await FlatOutWriter.CreateSourceAsync(Path.Combine(folder, "source.bin"), bytes, cancellationToken);
            var warmup = await FlatOutWriter.CreateSourceAsync(Path.Combine(folder, "warmup.bin"), Math.Min(bytes, WarmupBytes), cancellationToken);
            var direct = await DirectAsync(source, bytes, cancellationToken);

            await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, CharWebProcess.ConsoleLimits(context.Options.Consoles.Max()));
            await Warmup.RunAsync(context.Options, round => PtyPush.RunAsync(server, $"warmup{round}", warmup, Math.Min(bytes, WarmupBytes), [true], cancellationToken));

            // 1 console is both the first row and what the fan-out is a ratio to.
            var counts = context.Options.Consoles.Where(c => c != 1).Distinct().Prepend(1).ToList();
            var largest = counts.Max();
            var fanout = new List<ResultRow>();
            ConsoleFigures? single = null;
            foreach (var count in counts)
            {
                var figures = await PtyPush.RunAsync(server, $"pty{count}", source, bytes, [.. Enumerable.Repeat(true, count)], cancellationToken);
                var perConsole = figures.Average(f => f.MegabytesPerSecond);
                var lost = figures.Sum(f => f.Lost);
                single ??= figures[0];
                context.Plot.PtyFanout.Add((count, perConsole));
                var ratio = single.MegabytesPerSecond > 0 ? perConsole / single.MegabytesPerSecond : (double?)null;
                var goal = count == largest && count > 1 ? $"≥ 0.5x at {count}" : "informational";
                bool? met = count == largest && count > 1 && ratio is { } r ? r >= 0.5 : null;
                fanout.Add(new(Name, $"{count} console{(count == 1 ? "" : "s")}, per console ({lost / 1e6:0.#} MB lost in all)", perConsole, "MB/s", single.MegabytesPerSecond, "1 console", goal, met));
            }

            var one = single!;
            return
            [
                new(Name, $"1 console (flow: pace), {context.Options.PtyMegabytes} MB, delivered", one.MegabytesPerSecond, "MB/s", direct, "pty read directly", "0 lost, ≥ 0.8x direct", one.Lost == 0 && one.MegabytesPerSecond / direct >= 0.8),
                new(Name, "bytes the console lost", one.Lost / 1e6, "MB", bytes / 1e6, "written", "0", one.Lost == 0),
                .. fanout,
            ];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>MB/s of the harness reading, straight from the master, what dd writes into a pty of its own.</summary>
    private static async Task<double> DirectAsync(string source, long bytes, CancellationToken cancellationToken)
    {
        using var pty = PtyPair.Open();
        var reading = pty.ReadMasterAsync(bytes, SocketPush.Idle, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        await using (var writer = FlatOutWriter.Once(source, pty.SlavePath))
        {
            await writer.WaitAsync(PtyPush.WriterTimeout(bytes), cancellationToken);
        }

        var (count, lastAt) = await reading;
        if (count < bytes)
        {
            throw new InvalidOperationException($"reading the pty directly got {count} of {bytes} bytes");
        }

        return count / 1e6 / Stopwatch.GetElapsedTime(started, lastAt).TotalSeconds;
    }
}
