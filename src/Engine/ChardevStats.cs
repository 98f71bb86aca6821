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

    public void Output(int bytes) => Interlocked.Add(ref _outputBytes, bytes);

    public void OutputDropped(int bytes) => Interlocked.Add(ref _outputDropped, bytes);

    public void Input(int bytes) => Interlocked.Add(ref _inputBytes, bytes);

    public void InputDropped(int bytes) => Interlocked.Add(ref _inputDropped, bytes);

    public ChardevStats Snapshot() => new(
        Interlocked.Read(ref _outputBytes),
        Interlocked.Read(ref _outputDropped),
        Interlocked.Read(ref _inputBytes),
        Interlocked.Read(ref _inputDropped));
}
