namespace CharWeb.Engine;

/// <summary>
/// QEMU's <c>logfile</c>: a full record of the device's output, written as it arrives, whatever
/// the consoles do. Owned by the chardev, so it survives backend hot-swaps. Each chunk goes to
/// the kernel unbuffered (a killed server loses none of it); it is synced to disk when closed.
/// </summary>
internal sealed class ChardevLogfile(OutputFile file) : IDisposable
{
    public string Path => file.Path;

    public OutputFile File => file;

    public void Write(ReadOnlySpan<byte> data) => file.Stream.Write(data);

    public void Dispose()
    {
        try
        {
            file.Stream.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // Already reported when a write failed; closing must still happen.
        }

        file.Dispose();
    }
}
