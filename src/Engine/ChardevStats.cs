namespace CharWeb.Engine;

/// <summary>Byte counters of one chardev, as QEMU users expect them.</summary>
/// <param name="OutputBytes">Bytes the device produced.</param>
/// <param name="OutputDropped">Output bytes discarded because no console was attached.</param>
/// <param name="InputBytes">Bytes accepted into the device.</param>
/// <param name="InputDropped">Input bytes discarded because the device side was not connected.</param>
public sealed record ChardevStats(long OutputBytes, long OutputDropped, long InputBytes, long InputDropped);

/// <summary>The live counters behind <see cref="ChardevStats"/>; safe to bump from any thread.</summary>
internal sealed class ChardevCounters
{
    private long _outputBytes;
    private long _outputDropped;
    private long _inputBytes;
    private long _inputDropped;
    private long _consoleLost;

    public void Output(int bytes) => Interlocked.Add(ref _outputBytes, bytes);

    public void OutputDropped(int bytes) => Interlocked.Add(ref _outputDropped, bytes);

    public void Input(int bytes) => Interlocked.Add(ref _inputBytes, bytes);

    public void InputDropped(int bytes) => Interlocked.Add(ref _inputDropped, bytes);

    /// <summary>Output some console of this chardev lost by falling behind; counted when lost, so consoles gone keep counting.</summary>
    public void ConsoleLost(long bytes) => Interlocked.Add(ref _consoleLost, bytes);

    public long ConsoleLostTotal => Interlocked.Read(ref _consoleLost);

    public ChardevStats Snapshot() => new(
        Interlocked.Read(ref _outputBytes),
        Interlocked.Read(ref _outputDropped),
        Interlocked.Read(ref _inputBytes),
        Interlocked.Read(ref _inputDropped));
}

/// <summary>
/// What the chardevs removed from this server had counted when they went, so that a server-wide
/// total (live chardevs plus these) never goes backwards when a chardev is removed.
/// </summary>
public sealed class RemovedChardevTotals
{
    private long _outputBytes;
    private long _outputDropped;
    private long _inputBytes;
    private long _inputDropped;
    private long _consoleLost;

    public ChardevStats Stats => new(
        Interlocked.Read(ref _outputBytes),
        Interlocked.Read(ref _outputDropped),
        Interlocked.Read(ref _inputBytes),
        Interlocked.Read(ref _inputDropped));

    /// <summary>Output that consoles of removed chardevs lost by falling behind.</summary>
    public long ConsoleBytesLost => Interlocked.Read(ref _consoleLost);

    /// <summary>Folds in a chardev that is gone: its backend is closed, so its counters no longer move.</summary>
    internal void Add(Chardev chardev)
    {
        var stats = chardev.Stats;
        Interlocked.Add(ref _outputBytes, stats.OutputBytes);
        Interlocked.Add(ref _outputDropped, stats.OutputDropped);
        Interlocked.Add(ref _inputBytes, stats.InputBytes);
        Interlocked.Add(ref _inputDropped, stats.InputDropped);
        Interlocked.Add(ref _consoleLost, chardev.ConsoleBytesLost);
    }
}
