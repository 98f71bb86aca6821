using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine.Devices;

/// <summary>
/// A non-blocking file descriptor on a device (pty master, FIFO, tty): poll, read what is there,
/// write what fits. Blocking waits happen only in <see cref="Poll"/> on a backend's own thread.
/// </summary>
internal sealed unsafe class DeviceFile : IDisposable
{
    private int _fd;

    private DeviceFile(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    public string Path { get; }

    public int Fd => _fd;

    public static DeviceFile Open(string path, int flags = 0)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            var fd = open(p, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | flags, 0);
            return fd >= 0 ? new DeviceFile(fd, path) : throw Error($"open {path}");
        }
    }

    /// <summary>Takes over a descriptor opened elsewhere (beneath an allowed folder, say).</summary>
    public static DeviceFile Adopt(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path)
    {
        var fd = (int)handle.DangerousGetHandle();
        handle.SetHandleAsInvalid();
        return new DeviceFile(fd, path);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for data or a hang-up.</summary>
    public (bool Readable, bool HungUp) Poll(int timeoutMs)
    {
        var fd = new pollfd { fd = _fd, events = (short)POLLIN };
        var n = poll(&fd, 1, timeoutMs);
        if (n < 0)
        {
            return Marshal.GetLastPInvokeError() == EINTR ? (false, false) : throw Error("poll " + Path);
        }

        return ((fd.revents & POLLIN) != 0, (fd.revents & (POLLHUP | POLLERR)) != 0);
    }

    /// <summary>Reads what is there: a count, 0 when nothing is, -1 when the other side is gone (EIO).</summary>
    public int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var n = (int)read(_fd, p, buffer.Length);
            if (n >= 0)
            {
                return n;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == EAGAIN || errno == EINTR ? 0 : errno == EIO ? -1 : throw Error("read " + Path);
        }
    }

    /// <summary>Writes what the device takes now; 0 when its buffer is full.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var n = (int)write(_fd, p, data.Length);
            if (n >= 0)
            {
                return n;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == EAGAIN || errno == EINTR ? 0 : throw Error("write " + Path);
        }
    }

    /// <summary>
    /// Writes all of <paramref name="data"/> unless the device stays full for about
    /// <paramref name="patienceMs"/>; answers how much it took.
    /// </summary>
    public int WriteAll(ReadOnlySpan<byte> data, int patienceMs, CancellationToken cancellationToken)
    {
        var written = 0;
        var waited = 0;
        while (written < data.Length && waited < patienceMs && !cancellationToken.IsCancellationRequested)
        {
            var n = Write(data[written..]);
            written += n;
            if (n == 0)
            {
                // The reader on the other side is behind: wait a little for room, then give up on the rest.
                var room = new pollfd { fd = _fd, events = (short)POLLOUT };
                poll(&room, 1, 50);
                waited += 50;
            }
        }

        return written;
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            close(fd);
        }
    }

    public static IOException Error(string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
