using Microsoft.Win32.SafeHandles;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine;

/// <summary>
/// Where chardevs may read and write files. Relative paths resolve under the data folder; a path
/// that leaves every allowed folder is refused, so a REST caller cannot reach the whole disk.
/// </summary>
public sealed class PathPolicy
{
    private readonly IReadOnlyList<string> _roots;

    public PathPolicy(string dataDir, IEnumerable<string>? extraRoots = null)
    {
        DataDir = Path.GetFullPath(dataDir);
        _roots = (extraRoots ?? []).Select(r => Path.GetFullPath(Path.Combine(DataDir, r))).Prepend(DataDir).ToList();
    }

    public string DataDir { get; }

    /// <summary>The full path, or an error for <paramref name="field"/> saying why not.</summary>
    public string? Resolve(string field, string? path, ICollection<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add(new FieldError(field, "is required"));
            return null;
        }

        if (path.Any(char.IsControl))
        {
            errors.Add(new FieldError(field, "must not contain control characters"));
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(DataDir, path));
        if (full.EndsWith(Path.DirectorySeparatorChar))
        {
            errors.Add(new FieldError(field, "names a folder, not a file"));
            return null;
        }

        if (Path.GetDirectoryName(full) == DataDir && Path.GetFileName(full).StartsWith(Persistence.ChardevDatabase.FileName, StringComparison.Ordinal))
        {
            errors.Add(new FieldError(field, $"'{path}' is CharWeb's own database"));
            return null;
        }

        if (!_roots.Any(root => IsUnder(full, root)))
        {
            errors.Add(new FieldError(field, $"'{path}' is outside the allowed folders ({string.Join(", ", _roots)})"));
            return null;
        }

        return full;
    }

    /// <summary>For a path already validated: its full form.</summary>
    public string FullPath(string path) => Path.GetFullPath(Path.Combine(DataDir, path));

    /// <summary>
    /// Opens a file for append beneath its allowed folder, creating it (and, with
    /// <paramref name="createFolders"/>, its folders). It is emptied only by <see cref="OutputFile.Truncate"/>,
    /// after it is known not to be the database: an open with <c>O_TRUNC</c> would have emptied an alias first.
    /// </summary>
    /// <remarks>A character device (QEMU's classic <c>file,path=/dev/null</c>) is taken only with <paramref name="devices"/>, and only in a folder the configuration allows.</remarks>
    public OutputFile OpenWrite(string field, string fullPath, bool createFolders = false, bool devices = false)
    {
        var kinds = devices ? "a regular file or a character device" : "a regular file";
        bool Allowed(ConfinedFile.Identity id) => id.IsRegular || (devices && id.IsCharDevice);
        var created = true;
        SafeFileHandle handle;
        try
        {
            handle = Open(field, fullPath, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, createFolders, Allowed, kinds);
        }
        catch (IOException ex) when (ex.HResult == EEXIST)
        {
            created = false;
            handle = Open(field, fullPath, O_WRONLY | O_APPEND, createFolders, Allowed, kinds);
        }

        var identity = ConfinedFile.Describe(handle);
        // Unbuffered: each write reaches the kernel at once, so a killed server loses nothing it was given.
        var stream = new FileStream(handle, FileAccess.Write, bufferSize: 0);
        if (stream.CanSeek)
        {
            stream.Seek(0, SeekOrigin.End);
        }

        return new OutputFile(stream, fullPath, created, identity, this);
    }

    /// <summary>Removes <paramref name="fullPath"/> if it is still the file <paramref name="identity"/> names.</summary>
    internal void RemoveIfSame(string fullPath, ConfinedFile.Identity identity)
    {
        try
        {
            using var folder = ConfinedFile.OpenParent(RootOf("path", fullPath), fullPath, createFolders: false);
            var name = Path.GetFileName(fullPath);
            if (ConfinedFile.Describe(folder, name) is { } now && now.Device == identity.Device && now.Inode == identity.Inode)
            {
                ConfinedFile.Unlink(folder, name);
            }
        }
        catch (IOException)
        {
            // Its folder changed under us: leave whatever is there alone.
        }
    }

    /// <summary>Opens a file for reading beneath its allowed folder.</summary>
    public FileStream OpenRead(string field, string fullPath) =>
        new(Open(field, fullPath, O_RDONLY, createFolders: false, id => id.IsRegular, "a regular file (use a pipe chardev for a FIFO)"), FileAccess.Read, bufferSize: 65536);

    /// <summary>Opens a FIFO read-write and non-blocking beneath its allowed folder; anything else is refused.</summary>
    internal SafeFileHandle OpenFifo(string field, string fullPath) =>
        Open(field, fullPath, O_RDWR | O_NONBLOCK, createFolders: false, id => id.IsFifo, "a FIFO (make one with mkfifo)");

    /// <summary>The folder that will hold <paramref name="fullPath"/> (a Unix socket), opened beneath its allowed folder.</summary>
    internal SafeFileHandle OpenFolderOf(string field, string fullPath)
    {
        try
        {
            return ConfinedFile.OpenParent(RootOf(field, fullPath), fullPath, createFolders: false);
        }
        catch (PathRefusedException ex)
        {
            throw ChardevException.Invalid(field, ex.Message);
        }
    }

    private SafeFileHandle Open(string field, string fullPath, int flags, bool createFolders, Func<ConfinedFile.Identity, bool> kindAllowed, string kindWanted)
    {
        SafeFileHandle handle;
        try
        {
            handle = ConfinedFile.Open(RootOf(field, fullPath), fullPath, flags, createFolders);
        }
        catch (PathRefusedException ex)
        {
            throw ChardevException.Invalid(field, ex.Message);
        }

        try
        {
            var identity = ConfinedFile.Describe(handle);
            if (IsDatabase(identity))
            {
                throw ChardevException.Invalid(field, $"{fullPath} is another name for CharWeb's own database");
            }

            if (!kindAllowed(identity))
            {
                throw ChardevException.Invalid(field, $"{fullPath} is {identity.Kind}, not {kindWanted}");
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The database and its journals, by inode: a hard link or any other alias is still the database.</summary>
    private bool IsDatabase(ConfinedFile.Identity identity) =>
        new[] { "", "-wal", "-shm", "-journal" }
            .Select(suffix => ConfinedFile.DescribePath(Path.Combine(DataDir, Persistence.ChardevDatabase.FileName + suffix)))
            .Any(db => db is { } d && d.Device == identity.Device && d.Inode == identity.Inode);

    private string RootOf(string field, string fullPath) =>
        _roots.Where(root => IsUnder(fullPath, root)).MaxBy(root => root.Length)
            ?? throw ChardevException.Invalid(field, $"'{fullPath}' is outside the allowed folders ({string.Join(", ", _roots)})");

    private static bool IsUnder(string full, string root) =>
        full.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
