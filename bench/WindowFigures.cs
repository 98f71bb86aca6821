namespace CharWeb.Bench;

/// <summary>
/// What one client or console got during a fixed window while the source wrote flat out throughout:
/// bytes by the window's end, bytes before its last fifth, and when the last of them arrived.
/// </summary>
public sealed record WindowFigures(bool Reads, long Received, long ReceivedBeforeTail, double Seconds, double LastByteSeconds)
{
    public double MegabytesPerSecond => Seconds > 0 ? Received / 1e6 / Seconds : 0;

    /// <summary>Still receiving in the window's last fifth.</summary>
    public bool KeptGoing => Received > ReceivedBeforeTail;
}
