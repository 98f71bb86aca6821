namespace CharWeb.Engine;

/// <summary>
/// Times a keystroke's round trip on one chardev: from a console's write entering the chardev to
/// the first output chunk the device says after the write went in. One keystroke is timed at a time
/// (a write while one is timed is not); output more than <see cref="Expiry"/> after the write is
/// not an echo and gives no sample. Output pays one volatile read when nothing is being timed.
/// </summary>
internal sealed class KeystrokeClock(TimeProvider time, Action<TimeSpan>? echoed)
{
    /// <summary>Output this long after a write is taken for the device's own, not the write's echo.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(10);

    /// <summary>The timestamp of the write being timed; 0: none.</summary>
    private long _started;

    /// <summary>Whether anyone takes samples; without, writes and output do nothing here.</summary>
    public bool Enabled => echoed is not null;

    /// <summary>
    /// Starts timing the write that entered at <paramref name="timestamp"/> (from <see cref="TimeProvider.GetTimestamp"/>),
    /// unless another one is being timed. Answers a token for <see cref="Cancel"/>; 0 when not timed.
    /// </summary>
    public long Start(long timestamp)
    {
        if (echoed is null)
        {
            return 0;
        }

        timestamp = Math.Max(timestamp, 1);
        var running = Volatile.Read(ref _started);
        if (running != 0 && time.GetElapsedTime(running) < Expiry)
        {
            return 0;
        }

        return Interlocked.CompareExchange(ref _started, timestamp, running) == running ? timestamp : 0;
    }

    /// <summary>The write was not taken by the device: its clock stops without a sample.</summary>
    public void Cancel(long token)
    {
        if (token != 0)
        {
            Interlocked.CompareExchange(ref _started, 0, token);
        }
    }

    /// <summary>The device said something: the write being timed, if any, has its round trip.</summary>
    public void Output()
    {
        if (Volatile.Read(ref _started) == 0)
        {
            return;
        }

        var started = Interlocked.Exchange(ref _started, 0);
        if (started == 0)
        {
            return;
        }

        var elapsed = time.GetElapsedTime(started);
        if (elapsed <= Expiry)
        {
            echoed!(elapsed);
        }
    }
}
