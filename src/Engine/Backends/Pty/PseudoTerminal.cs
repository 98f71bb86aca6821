using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine.Backends;

/// <summary>
/// The master side of a Linux pseudo-terminal: <c>posix_openpt</c> is <c>open("/dev/ptmx")</c>,
/// <c>unlockpt</c> is <c>TIOCSPTLCK</c>, <c>ptsname</c> is <c>TIOCGPTN</c>. The slave is put in raw
/// mode, as QEMU's <c>qemu_openpty_raw</c> does, and closed again: whoever opens it next is the peer.
/// </summary>
internal sealed unsafe class PseudoTerminal : IDisposable
{
    // Linux values that Tmds.LibC does not name.
    private const uint BrkInt = 0x2;
    private const uint ParMrk = 0x8;
    private const uint ParEnb = 0x100;

    private int _master;

    private PseudoTerminal(int master, string slavePath)
    {
        _master = master;
        SlavePath = slavePath;
    }

    public string SlavePath { get; }

    public int Master => _master;

    public static PseudoTerminal Open(int cols, int rows)
    {
        var master = OpenPath("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        try
        {
            int unlock = 0, number;
            Check(ioctl(master, (int)TIOCSPTLCK, &unlock), "unlockpt");
            Check(ioctl(master, (int)TIOCGPTN, &number), "ptsname");
            var slavePath = $"/dev/pts/{number}";
            var pty = new PseudoTerminal(master, slavePath);
            pty.MakeRaw();
            pty.Resize(cols, rows);
            return pty;
        }
        catch
        {
            close(master);
            throw;
        }
    }

    /// <summary>Sets raw mode (cfmakeraw) through the slave, then lets it go.</summary>
    public void MakeRaw()
    {
        var slave = OpenPath(SlavePath, O_RDWR | O_NOCTTY | O_CLOEXEC);
        try
        {
            termios t;
            Check(tcgetattr(slave, &t), "tcgetattr");
            t.c_iflag &= ~(IGNBRK | BrkInt | ParMrk | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
            t.c_oflag &= ~OPOST;
            t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
            t.c_cflag &= ~(CSIZE | ParEnb);
            t.c_cflag |= CS8;
            t.c_cc[VMIN] = 1;
            t.c_cc[VTIME] = 0;
            Check(tcsetattr(slave, (int)TCSANOW, &t), "tcsetattr");
        }
        finally
        {
            close(slave);
        }
    }

    public void Resize(int cols, int rows)
    {
        var size = new winsize { ws_col = (ushort)cols, ws_row = (ushort)rows };
        Check(ioctl(_master, (int)TIOCSWINSZ, &size), "TIOCSWINSZ");
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for data or a hang-up.</summary>
    public (bool Readable, bool HungUp) Poll(int timeoutMs)
    {
        var fd = new pollfd { fd = _master, events = (short)POLLIN };
        var n = poll(&fd, 1, timeoutMs);
        if (n < 0)
        {
            return Marshal.GetLastPInvokeError() == EINTR ? (false, false) : throw Error("poll");
        }

        return ((fd.revents & POLLIN) != 0, (fd.revents & POLLHUP) != 0);
    }

    /// <summary>Reads what is there: a count, 0 when nothing is, -1 when no slave is open (EIO).</summary>
    public int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var n = (int)read(_master, p, buffer.Length);
            if (n >= 0)
            {
                return n;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == EAGAIN || errno == EINTR ? 0 : errno == EIO ? -1 : throw Error("read");
        }
    }

    /// <summary>Writes what the terminal takes now; 0 when its buffer is full.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var n = (int)write(_master, p, data.Length);
            if (n >= 0)
            {
                return n;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == EAGAIN || errno == EINTR ? 0 : throw Error("write");
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for room to write.</summary>
    public bool WaitWritable(int timeoutMs)
    {
        var fd = new pollfd { fd = _master, events = (short)POLLOUT };
        return poll(&fd, 1, timeoutMs) > 0 && (fd.revents & POLLOUT) != 0;
    }

    public void Dispose()
    {
        var master = Interlocked.Exchange(ref _master, -1);
        if (master >= 0)
        {
            close(master);
        }
    }

    private static int OpenPath(string path, int flags)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            var fd = open(p, flags, 0);
            return fd >= 0 ? fd : throw Error($"open {path}");
        }
    }

    private static void Check(int result, string what)
    {
        if (result < 0)
        {
            throw Error(what);
        }
    }

    private static IOException Error(string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
