namespace CharWeb.Bench;

/// <summary>
/// The rows of a socket → 1 console push against socat: MB/s delivered (the goal counts it only with
/// nothing lost), the bytes lost, how far the server's resident set rose during the push against
/// the console buffer it was configured with, and its CPU per delivered GB.
/// </summary>
public static class ThroughputRows
{
    /// <summary>The server's default <c>CharWeb:Console:BufferBytes</c> (1 MiB, <c>ConsoleSettings</c>), set explicitly on the throughput servers so the RSS bound is known.</summary>
    public const int ConsoleBufferBytes = 1 << 20;

    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["CharWeb__Console__BufferBytes"] = $"{ConsoleBufferBytes}",
    };

    public static IEnumerable<ResultRow> Rows(string scenario, string what, PushFigures push, long bytes, double socat, double minRatio)
    {
        var console = push.Consoles.Single();
        var ratio = console.MegabytesPerSecond / socat;
        var buffers = ConsoleBufferBytes * (long)push.Consoles.Count;
        yield return new(scenario, $"{what}, {bytes / 1_000_000} MB, delivered", console.MegabytesPerSecond, "MB/s", socat, "socat unix→tcp", $"0 lost, ≥ {minRatio}x socat", console.Lost == 0 && ratio >= minRatio);
        yield return new(scenario, "bytes the console lost", console.Lost / 1e6, "MB", bytes / 1e6, "sent", "0", console.Lost == 0);
        yield return new(
            scenario,
            $"server RSS growth during the push (peak VmHWM − before; {push.Server.ResidentBefore / 1e6:0} MB before)",
            push.Server.ResidentGrowth / 1e6,
            "MB",
            buffers / 1e6,
            $"console buffers, {push.Consoles.Count} x {ConsoleBufferBytes >> 10} KiB",
            "< 2x buffers",
            push.Server.ResidentGrowth < 2 * buffers);
        yield return new(scenario, "server CPU per delivered GB", push.CpuSecondsPerGigabyte, "s/GB", null, "", "informational", null);
    }
}
