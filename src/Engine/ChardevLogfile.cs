namespace CharWeb.Engine;

/// <summary>
/// QEMU's <c>logfile</c>: a full record of the device's output, written as it arrives, whatever
/// the consoles do. Owned by the chardev, so it survives backend hot-swaps.
/// </summary>
internal sealed class ChardevLogfile(string path, bool append) : IDisposable
{
    private readonly FileStream _stream = Open(path, append);

    public string Path { get; } = path;

    public void Write(ReadOnlySpan<byte> data) => _stream.Write(data);

    public void Dispose() => _stream.Dispose();

    private static FileStream Open(string path, bool append)
    {
        // Logs are CharWeb's own records (DESIGN's example is logs/vm1.log): make their folder.
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);

        // No buffering: a log must hold what the device said even if the server dies next.
        return new(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
    }
}
