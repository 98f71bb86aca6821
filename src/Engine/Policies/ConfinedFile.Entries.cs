using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine;

/// <summary>The entries of a folder opened beneath an allowed folder: listed, described and renamed by the folder's descriptor, never by a path walked again.</summary>
internal static unsafe partial class ConfinedFile
{
    private const uint RenameNoReplace = 1;

    /// <summary>What an entry holds and when: its size, when it was made (where the file system keeps it) and last written.</summary>
    public readonly record struct Facts(Identity Identity, long Size, DateTimeOffset? Born, DateTimeOffset Modified);

    /// <summary>The names in <paramref name="folder"/> (read through the descriptor, so a link swapped in for the folder leads nowhere).</summary>
    public static IReadOnlyList<string> Names(SafeFileHandle folder) =>
        new DirectoryInfo(ProcPath(folder, "")).EnumerateFileSystemInfos().Select(entry => entry.Name).ToList();

    /// <summary>Size and times of the entry <paramref name="name"/> of <paramref name="folder"/>, without following a link; null when there is none.</summary>
    public static Facts? FactsOf(SafeFileHandle folder, string name)
    {
        Tmds.Linux.statx info;
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            if (statx((int)folder.DangerousGetHandle(), p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &info) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == ENOENT ? null : throw new IOException($"statx {name}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }

        var identity = new Identity(((ulong)info.stx_dev_major << 32) | info.stx_dev_minor, info.stx_ino, info.stx_mode & TypeMask, info.stx_uid);
        DateTimeOffset? born = (info.stx_mask & STATX_BTIME) != 0 ? Time(info.stx_btime.tv_sec, info.stx_btime.tv_nsec) : null;
        return new Facts(identity, (long)info.stx_size, born, Time(info.stx_mtime.tv_sec, info.stx_mtime.tv_nsec));
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> inside <paramref name="folder"/>, never replacing an entry that is
    /// there (<c>RENAME_NOREPLACE</c>); answers false when <paramref name="to"/> exists. A link is renamed as itself, never followed.
    /// </summary>
    public static bool Rename(SafeFileHandle folder, string from, string to)
    {
        var source = Encoding.UTF8.GetBytes(from + "\0");
        var target = Encoding.UTF8.GetBytes(to + "\0");
        var fd = (int)folder.DangerousGetHandle();
        fixed (byte* s = source)
        fixed (byte* t = target)
        {
            if (RenameAt2(fd, s, fd, t, RenameNoReplace) == 0)
            {
                return true;
            }
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EEXIST ? false : throw new IOException($"rename {from} to {to}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    private static DateTimeOffset Time(long seconds, uint nanoseconds) =>
        DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static partial int RenameAt2(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);
}
