using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using Tmds.Linux;
using static CharWeb.Bench.Terminal;
using static Tmds.Linux.LibC;

namespace CharWeb.Bench;

/// <summary>
/// A pty slave the harness opens itself, as the program on the device side would, in raw mode (no echo,
/// no line editing, no signals, no output processing). A thread reads it and notes when each 0x03
/// arrives; on demand a second thread floods it with "y\n" as fast as it takes it, as <c>yes</c> does.
/// </summary>
public sealed unsafe class PtySlave : IDisposable
{
    private const byte Interrupt = 0x03;
    private const int PollMs = 100;

    private readonly int _fd;
    private readonly Channel<long> _interrupts = Channel.CreateUnbounded<long>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _reader;
    private Thread? _flood;
    private long _flooded;

    private PtySlave(int fd, string path)
    {
        _fd = fd;
        Path = path;
        _reader = new Thread(Read) { IsBackground = true, Name = "read " + path };
        _reader.Start();
    }

    public string Path { get; }

    /// <summary>Stopwatch timestamps of each 0x03 read from the slave.</summary>
    public ChannelReader<long> Interrupts => _interrupts.Reader;

    /// <summary>Bytes the flood has written into the slave so far.</summary>
    public long Flooded => Interlocked.Read(ref _flooded);

    public static PtySlave Open(string path)
    {
        var fd = Terminal.Open(path, O_NONBLOCK);
        try
        {
            MakeRaw(fd, path);
            return new PtySlave(fd, path);
        }
        catch
        {
            close(fd);
            throw;
        }
    }

    /// <summary>Starts writing "y\n" into the slave, 8 KiB at a time, until disposed.</summary>
    public void StartFlood()
    {
        _flood = new Thread(Flood) { IsBackground = true, Name = "yes > " + Path };
        _flood.Start();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _flood?.Join();
        _reader.Join();
        close(_fd);
        _stop.Dispose();
    }

    private void Read()
    {
        var buffer = new byte[4096];
        try
        {
            fixed (byte* p = buffer)
            {
                while (!_stop.IsCancellationRequested && Wait((short)POLLIN))
                {
                    var n = (int)read(_fd, p, buffer.Length);
                    var errno = Marshal.GetLastPInvokeError();
                    var at = Stopwatch.GetTimestamp();
                    for (var i = 0; i < n; i++)
                    {
                        if (buffer[i] == Interrupt)
                        {
                            _interrupts.Writer.TryWrite(at);
                        }
                    }

                    ThrowUnlessRetry(n, errno, "read");
                }
            }

            _interrupts.Writer.TryComplete();
        }
        catch (IOException ex)
        {
            _interrupts.Writer.TryComplete(ex);
        }
    }

    private void Flood()
    {
        var yes = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("y\n", 4096)));
        try
        {
            fixed (byte* p = yes)
            {
                while (!_stop.IsCancellationRequested && Wait((short)POLLOUT))
                {
                    var n = (long)write(_fd, p, yes.Length);
                    ThrowUnlessRetry(n, Marshal.GetLastPInvokeError(), "write");
                    Interlocked.Add(ref _flooded, Math.Max(n, 0));
                }
            }
        }
        catch (IOException ex)
        {
            // The rounds read the interrupts: a flood that broke fails them with its reason.
            _interrupts.Writer.TryComplete(ex);
        }
    }

    /// <summary>Waits for the slave to be readable or writable; false once the master side is gone.</summary>
    private bool Wait(short events)
    {
        var fd = new pollfd { fd = _fd, events = events };
        var ready = poll(&fd, 1, PollMs);
        if (ready < 0 && Marshal.GetLastPInvokeError() != EINTR)
        {
            throw Error("poll " + Path);
        }

        return (fd.revents & (POLLHUP | POLLERR)) == 0;
    }

    private void ThrowUnlessRetry(long result, int errno, string what)
    {
        if (result < 0 && errno != EAGAIN && errno != EINTR)
        {
            throw new IOException($"{what} {Path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }
}
