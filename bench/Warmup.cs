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

    /// <summary>
    /// The last warm-up push, one stream of this many bytes (a few seconds): the runtime promotes a method to its
    /// optimised tier only once no new method has been compiled for 100 ms (tiered compilation's call-counting
    /// delay), which the short rounds, each with a new chardev and console, never give. Without it the measured 1 GB
    /// push ran its first 2.5 s at a third of the rate of the rest, in the server and the harness's client alike
    /// (both fast from the first byte with <c>DOTNET_TC_CallCountingDelayMs=0</c>).
    /// </summary>
    public const long SustainedBytes = 2_000_000_000;

    /// <summary>The longest a warm-up waits for the server's JIT to settle.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(20);

    /// <summary>Calls <paramref name="push"/> with rounds 0, 1, 2, ... until <see cref="Duration"/> has passed.</summary>
    public static Task RunAsync(BenchOptions options, Func<int, Task> push) => RunAsync(options, null, push);

    /// <summary>
    /// As <see cref="RunAsync(BenchOptions, Func{int, Task})"/>, and then on while the server's tiered-compilation
    /// thread still works (more than 20 ms of its CPU in the last round), up to <see cref="MaxDuration"/>: `perf` of a
    /// 1 GB push that began after 3 s found that thread at a quarter of the server's samples, and the hot paths
    /// still in their instrumented tier.
    /// </summary>
    public static async Task RunAsync(BenchOptions options, CharWebProcess? server, Func<int, Task> push)
    {
        var started = Stopwatch.GetTimestamp();
        var round = 0;
        var jit = server?.JitSeconds() ?? 0;
        while (true)
        {
            await push(round++);
            var jitBefore = jit;
            jit = server?.JitSeconds() ?? 0;
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (options.Smoke || elapsed >= MaxDuration || (elapsed >= Duration && jit - jitBefore <= 0.02))
            {
                return;
            }
        }
    }

    /// <summary>
    /// The warm-up of a socket-push scenario: 1-console rounds of min(<paramref name="runBytes"/>, <see cref="PushBytes"/>)
    /// on <paramref name="wire"/> as <see cref="RunAsync(BenchOptions, CharWebProcess?, Func{int, Task})"/> runs them,
    /// then one push of <see cref="SustainedBytes"/> (not with <c>--smoke</c>), so that the streaming path is measured optimised.
    /// </summary>
    public static async Task SocketPushesAsync(BenchOptions options, CharWebProcess server, long runBytes, ConsoleWire wire, CancellationToken cancellationToken)
    {
        var bytes = Math.Min(runBytes, PushBytes);
        await RunAsync(options, server, round => SocketPush.RunAsync(server, $"warmup{round}", bytes, [true], wire, null, cancellationToken));
        if (!options.Smoke)
        {
            await SocketPush.RunAsync(server, "warmup", SustainedBytes, [true], wire, null, cancellationToken);
        }
    }
}
