using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace CharWeb.Engine.Backends;

/// <summary>
/// The file of a Unix socket, reached through its folder opened beneath the allowed folder (a link
/// on the way cannot move it elsewhere). A server removes only a stale socket of this server's user
/// that nobody answers on, and on close only the socket file it bound, if that is still there.
/// </summary>
internal sealed class UnixSocketFile(string path, PathPolicy paths) : IDisposable
{
    /// <summary>The longest file name that fits in a socket address as <c>/proc/self/fd/N/name</c>, whatever N is.</summary>
    public const int MaxNameBytes = 80;

    private readonly string _name = System.IO.Path.GetFileName(path);
    private SafeFileHandle? _folder;
    private ConfinedFile.Identity? _bound;

    public string Path => path;

    /// <summary>Where a client connects: refused unless the file there is a socket (a link as the socket itself is refused).</summary>
    public UnixDomainSocketEndPoint PeerEndPoint()
    {
        var folder = Folder();
        if (ConfinedFile.Describe(folder, _name) is { IsSocket: false } existing)
        {
            throw ChardevException.Invalid("addr.path", $"{path} is {existing.Kind}, not a socket");
        }

        return new UnixDomainSocketEndPoint(Address(folder));
    }

    /// <summary>Listens here, after removing a stale socket of its own; anything else in the way is refused and left alone.</summary>
    public Socket Listen(int backlog)
    {
        var folder = Folder();
        var endpoint = Address(folder);
        RemoveStale(folder, endpoint);
        var listener = ConfinedFile.ListenUnix(endpoint, backlog);
        _bound = ConfinedFile.Describe(folder, _name);
        return listener;
    }

    public void Dispose()
    {
        if (_folder is not { } folder)
        {
            return;
        }

        if (_bound is { } made && ConfinedFile.Describe(folder, _name) is { IsSocket: true } now && now.Device == made.Device && now.Inode == made.Inode)
        {
            ConfinedFile.Unlink(folder, _name);
        }

        folder.Dispose();
    }

    private SafeFileHandle Folder() => _folder ??= paths.OpenFolderOf("addr.path", path);

    private string Address(SafeFileHandle folder)
    {
        var address = ConfinedFile.ProcPath(folder, _name);
        return System.Text.Encoding.UTF8.GetByteCount(address) <= 107
            ? address
            : throw ChardevException.Invalid("addr.path", $"{address} does not fit in a Unix socket address (107 bytes); use a shorter file name");
    }

    private void RemoveStale(SafeFileHandle folder, string endpoint)
    {
        if (ConfinedFile.Describe(folder, _name) is not { } existing)
        {
            return;
        }

        if (!existing.IsSocket)
        {
            throw ChardevException.Invalid("addr.path", $"{path} is {existing.Kind}, not a socket; CharWeb removes only a stale socket of its own");
        }

        if (existing.Owner != Tmds.Linux.LibC.geteuid())
        {
            throw ChardevException.Invalid("addr.path", $"{path} is a socket of another user (uid {existing.Owner}); CharWeb removes only a stale socket of its own");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(endpoint));
        }
        catch (SocketException)
        {
            ConfinedFile.Unlink(folder, _name);
            return;
        }

        throw new IOException($"{path} is in use: another program listens on it");
    }
}
