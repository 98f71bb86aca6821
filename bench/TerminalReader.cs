using System.Diagnostics;
using System.Runtime.InteropServices;
using Tmds.Linux;
using static CharWeb.Bench.Terminal;
using static Tmds.Linux.LibC;

namespace CharWeb.Bench;

/// <summary>
/// A terminal (a tty, one end of a socat pty pair) opened raw and read flat out on a thread of its own,
/// counting what arrives: the rate of a source with no server in between.
/// </summary>
public sealed unsafe class TerminalReader : IDisposable
{
    private const int PollMs = 100;

    private readonly int _fd;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _received;
    private long _lastAt;

    public TerminalReader(string path)
    {
        _fd = Terminal.Open(path);
        try
        {
            MakeRaw(_fd, path);
        }
        catch
        {
            close(_fd);
            throw;
        }

        _thread = new Thread(Read) { IsBackground = true, Name = "read " + path };
        _thread.Start();
    }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Stopwatch timestamp of the last read.</summary>
    public long LastAt => Interlocked.Read(ref _lastAt);

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        close(_fd);
    }

    private static bool Retry(int errno) => errno == EINTR || errno == EAGAIN;

    private void Read()
    {
        var buffer = new byte[64 << 10];
        fixed (byte* p = buffer)
        {
            while (!_stop)
            {
                var fd = new pollfd { fd = _fd, events = (short)POLLIN };
                if (poll(&fd, 1, PollMs) <= 0)
                {
                    continue;
                }

                if ((fd.revents & POLLIN) == 0)
                {
                    // Hung up or in error with nothing left to read: this source is done.
                    return;
                }

                var n = (long)read(_fd, p, buffer.Length);
                if (n > 0)
                {
                    Interlocked.Add(ref _received, n);
                    Interlocked.Exchange(ref _lastAt, Stopwatch.GetTimestamp());
                }
                else if (n == 0 || !Retry(Marshal.GetLastPInvokeError()))
                {
                    return;
                }
            }
        }
    }
}
