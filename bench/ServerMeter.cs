namespace CharWeb.Bench;

/// <summary>
/// What the server process spent over one stretch of a run: CPU seconds (user + system) and how far
/// its resident set rose above where it stood at the start, at its peak.
/// </summary>
public sealed record ServerUsage(double CpuSeconds, long ResidentBefore, long PeakResident)
{
    public long ResidentGrowth => Math.Max(0, PeakResident - ResidentBefore);
}

/// <summary>
/// Measures a stretch of a run on the server process from /proc, as <c>time</c> and <c>top</c> read
/// it: utime + stime, and the peak resident set (VmHWM), reset at the start so the peak is this
/// stretch's own and not the warm-up's.
/// </summary>
public sealed class ServerMeter
{
    private readonly CharWebProcess _server;
    private readonly double _cpuSeconds;
    private readonly long _resident;

    private ServerMeter(CharWebProcess server)
    {
        _server = server;
        server.ResetPeakResident();
        _resident = server.ResidentBytes();
        _cpuSeconds = server.CpuSeconds();
    }

    public static ServerMeter Start(CharWebProcess server) => new(server);

    public ServerUsage Stop() => new(_server.CpuSeconds() - _cpuSeconds, _resident, _server.PeakResidentBytes());
}
