using System.Diagnostics;

namespace CharWeb.Bench;

/// <summary>
/// Runs a scenario's warm-up push again and again for <see cref="Duration"/> (once with <c>--smoke</c>),
/// so that the server and the harness have tiered up their hot paths before anything is measured: in
/// the first seconds the JIT takes a good part of both cores (seen with <c>perf</c>), which a server
/// that has been running for a while no longer pays.
/// </summary>
public static class Warmup
{
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(3);

    /// <summary>Largest single warm-up push; each round uses min(this, the run's size).</summary>
    public const long PushBytes = 32_000_000;

    /// <summary>Calls <paramref name="push"/> with rounds 0, 1, 2, ... until <see cref="Duration"/> has passed.</summary>
    public static async Task RunAsync(BenchOptions options, Func<int, Task> push)
    {
        var started = Stopwatch.GetTimestamp();
        var round = 0;
        do
        {
            await push(round++);
        }
        while (!options.Smoke && Stopwatch.GetElapsedTime(started) < Duration);
    }
}
