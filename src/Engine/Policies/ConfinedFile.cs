using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine;

/// <summary>
/// Opens a file beneath an allowed folder one component at a time with <c>O_NOFOLLOW</c>, so a
/// symbolic link planted anywhere on the way cannot lead out (the kernel checks at open time,
/// not a string check made earlier). The folder itself is configuration and is trusted.
/// </summary>
internal static unsafe partial class ConfinedFile
{
    public const int TypeMask = 0xF000;
    public const int Fifo = 0x1000;
    public const int CharDevice = 0x2000;
    public const int Folder = 0x4000;
    public const int BlockDevice = 0x6000;
    public const int Regular = 0x8000;
    public const int Link = 0xA000;
    public const int Socket = 0xC000;

    /// <summary>What a file is: its device, inode, type and owner, read from the open descriptor.</summary>
    public readonly record struct Identity(ulong Device, ulong Inode, int Type, uint Owner)
    {
        public bool IsRegular => Type == Regular;

        public bool IsFifo => Type == Fifo;

        public bool IsSocket => Type == Socket;

        public bool IsCharDevice => Type == CharDevice;

        public string Kind => Type switch
        {
            var t when t == Regular => "a regular file",
            var t when t == Folder => "a folder",
            var t when t == Fifo => "a FIFO",
            var t when t == Socket => "a socket",
            var t when t == CharDevice => "a character device",
            var t when t == BlockDevice => "a block device",
            var t when t == Link => "a symbolic link",
            _ => "an unknown kind of file",
        };
    }

    /// <summary>
    /// Opens <paramref name="fullPath"/> (already normalised, under <paramref name="root"/>) with
    /// <paramref name="flags"/>. The open itself never blocks (a FIFO with no peer would hold the
    /// caller for ever): it is made non-blocking, and blocking again unless the flags asked otherwise.
    /// </summary>
    public static SafeFileHandle Open(string root, string fullPath, int flags, bool createFolders)
    {
        using var folder = OpenParent(root, fullPath, createFolders);
        var name = Path.GetFileName(fullPath);
        var fd = At(folder, name, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0x1B6 /* 0666, less umask */);
        if (fd < 0)
        {
            throw Failure(folder, name, fullPath, root);
        }

        if ((flags & O_NONBLOCK) == 0)
        {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>The folder that holds <paramref name="fullPath"/>, opened beneath <paramref name="root"/> (<c>O_PATH</c>).</summary>
    public static SafeFileHandle OpenParent(string root, string fullPath, bool createFolders)
    {
        var relative = Path.GetRelativePath(root, Path.GetDirectoryName(fullPath)!);
        var parts = relative == "." ? [] : relative.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Contains(".."))
        {
            throw new PathRefusedException($"{fullPath} is not under {root}");
        }

        var current = OpenRoot(root);
        var walked = root;
        foreach (var part in parts)
        {
            walked = Path.Combine(walked, part);
            if (createFolders)
            {
                MakeFolder(current, part);
            }

            var next = At(current, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (next < 0)
            {
                var error = Failure(current, part, walked, root);
                current.Dispose();
                throw error;
            }

            current.Dispose();
            current = new SafeFileHandle(next, ownsHandle: true);
        }

        return current;
    }

    /// <summary>What <paramref name="handle"/> refers to.</summary>
    public static Identity Describe(SafeFileHandle handle) =>
        Stat((int)handle.DangerousGetHandle(), "", AT_EMPTY_PATH) ?? throw new IOException("statx: the descriptor names no file");

    /// <summary>What the entry <paramref name="name"/> in <paramref name="folder"/> is, without following a link; null when there is none.</summary>
    public static Identity? Describe(SafeFileHandle folder, string name) => Stat((int)folder.DangerousGetHandle(), name, AT_SYMLINK_NOFOLLOW);

    /// <summary>What the file at <paramref name="path"/> is (links followed: for configured files such as the database); null when it cannot be seen.</summary>
    public static Identity? DescribePath(string path)
    {
        try
        {
            return Stat(AT_FDCWD, path, 0);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Removes the entry <paramref name="name"/> of <paramref name="folder"/>.</summary>
    public static void Unlink(SafeFileHandle folder, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            if (unlinkat((int)folder.DangerousGetHandle(), p, 0) != 0 && Marshal.GetLastPInvokeError() != ENOENT)
            {
                throw new IOException($"unlink {name}: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }
        }
    }

    /// <summary>A path naming <paramref name="name"/> in the open <paramref name="folder"/>, for calls that take only paths (bind, connect).</summary>
    public static string ProcPath(SafeFileHandle folder, string name) => $"/proc/self/fd/{folder.DangerousGetHandle()}/{name}";

    /// <summary>
    /// A Unix stream socket listening on <paramref name="path"/>, bound natively: a socket .NET
    /// binds is unlinked by name when it closes, even after someone else's file took its place.
    /// </summary>
    public static System.Net.Sockets.Socket ListenUnix(string path, int backlog)
    {
        var name = Encoding.UTF8.GetBytes(path);
        var address = new byte[sizeof(ushort) + name.Length + 1];
        BitConverter.TryWriteBytes(address, (ushort)AF_UNIX);
        name.CopyTo(address, sizeof(ushort));
        var fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new System.Net.Sockets.SocketException(Marshal.GetLastPInvokeError());
        }

        fixed (byte* p = address)
        {
            if (bind(fd, (sockaddr*)p, (socklen_t)address.Length) != 0 || listen(fd, backlog) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                close(fd);
                throw new IOException($"bind {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }

        return new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle(fd, ownsHandle: true));
    }

    private static SafeFileHandle OpenRoot(string root)
    {
        var bytes = Encoding.UTF8.GetBytes(root + "\0");
        fixed (byte* p = bytes)
        {
            var fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
            return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw new IOException($"{root}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>statx of <paramref name="path"/> relative to <paramref name="folder"/>; null when there is no such file.</summary>
    private static Identity? Stat(int folder, string path, int flags)
    {
        Tmds.Linux.statx info;
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            if (statx(folder, p, flags, STATX_BASIC_STATS, &info) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == ENOENT ? null : throw new IOException($"statx {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }

        return new Identity(((ulong)info.stx_dev_major << 32) | info.stx_dev_minor, info.stx_ino, info.stx_mode & TypeMask, info.stx_uid);
    }

    private static int At(SafeFileHandle folder, string name, int flags, int mode)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            return openat((int)folder.DangerousGetHandle(), p, flags, (mode_t)mode);
        }
    }

    private static void MakeFolder(SafeFileHandle folder, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            if (MkdirAt((int)folder.DangerousGetHandle(), p, 0x1ED /* 0755 */) != 0 && Marshal.GetLastPInvokeError() != EEXIST)
            {
                throw new IOException($"mkdir {name}: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }
        }
    }

    private static IOException Failure(SafeFileHandle folder, string name, string path, string root)
    {
        var errno = Marshal.GetLastPInvokeError();
        var message = Marshal.GetPInvokeErrorMessage(errno);
        if (errno == ENXIO && Describe(folder, name) is { } what)
        {
            // O_NONBLOCK on a FIFO nobody reads: say what it is rather than "no such device".
            return new PathRefusedException($"{path} is {what.Kind}, not a regular file");
        }

        if (errno != ELOOP && errno != ENOTDIR)
        {
            // The errno travels as the HResult, for callers that handle one case (EEXIST) themselves.
            return new IOException($"{path}: {message}", errno);
        }

        return Describe(folder, name) is { Type: var t } && t == Link
            ? new PathRefusedException($"{path} is a symbolic link; CharWeb follows no links under {root}")
            : new PathRefusedException($"{path}: {message}");
    }

    /// <summary>Renames the entry <paramref name="from"/> of <paramref name="folder"/> to <paramref name="to"/>, never replacing one that exists.</summary>
    public static void RenameNoReplace(SafeFileHandle folder, string from, string to)
    {
        var source = Encoding.UTF8.GetBytes(from + "\0");
        var target = Encoding.UTF8.GetBytes(to + "\0");
        var fd = (int)folder.DangerousGetHandle();
        fixed (byte* s = source)
        fixed (byte* t = target)
        {
            if (RenameAt2(fd, s, fd, t, 1 /* RENAME_NOREPLACE */) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"rename {from} to {to}: " + Marshal.GetPInvokeErrorMessage(errno), errno);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static partial int RenameAt2(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int MkdirAt(int dirfd, byte* path, uint mode);
}
