namespace CharWeb.Engine;

/// <summary>
/// A file CharWeb writes (a log, a file chardev's output), opened beneath its allowed folder for
/// append. Emptying it is a separate, later step, so a request that is refused never costs a
/// file its content; one that this open made is removed again when the request fails.
/// </summary>
public sealed class OutputFile : IDisposable
{
    private readonly PathPolicy _paths;
    private readonly ConfinedFile.Identity _identity;
    private readonly bool _created;

    internal OutputFile(FileStream stream, string path, bool created, ConfinedFile.Identity identity, PathPolicy paths)
    {
        Stream = stream;
        Path = path;
        _created = created;
        _identity = identity;
        _paths = paths;
    }

    public FileStream Stream { get; }

    public string Path { get; }

    /// <summary>The file this open holds (device and inode), to tell whether its name still leads to it.</summary>
    internal ConfinedFile.Identity Identity => _identity;

    /// <summary>Empties the file: only once the chardev is certain to exist (QEMU truncates at creation).</summary>
    public void Truncate()
    {
        // A device (/dev/null) has nothing to empty.
        if (_identity.IsRegular)
        {
            Stream.SetLength(0);
        }
    }

    /// <summary>Closes the file and removes it if this open made it, so a refused request leaves nothing behind.</summary>
    public void Abandon()
    {
        Dispose();
        if (_created)
        {
            _paths.RemoveIfSame(Path, _identity);
        }
    }

    public void Dispose() => Stream.Dispose();
}
