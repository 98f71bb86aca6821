using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;
using static CharWeb.Bench.Terminal;
using static Tmds.Linux.LibC;

namespace CharWeb.Bench;

/// <summary>
/// A pseudo-terminal the harness opens itself, as the Engine's pty backend does (<c>/dev/ptmx</c>,
/// <c>TIOCSPTLCK</c>, <c>TIOCGPTN</c>, slave in raw mode), with the slave held open and the master
/// read directly: what a program reading the pty with no server in between gets.
/// </summary>
public sealed unsafe class PtyPair : IDisposable
{
    private const int PollMs = 200;

    private readonly int _master;
    private readonly SafeFileHandle _slave;

    private PtyPair(int master, string slavePath, SafeFileHandle slave)
    {
        _master = master;
        SlavePath = slavePath;
        _slave = slave;
    }

    public string SlavePath { get; }

    public static PtyPair Open()
    {
        var master = Terminal.Open("/dev/ptmx");
        try
        {
            int unlock = 0, number;
            Check(ioctl(master, (int)TIOCSPTLCK, &unlock), "unlockpt");
            Check(ioctl(master, (int)TIOCGPTN, &number), "ptsname");
            var slavePath = $"/dev/pts/{number}";
            var slave = OpenTerminal(slavePath);
            try
            {
                MakeRaw((int)slave.DangerousGetHandle(), slavePath);
            }
            catch
            {
                slave.Dispose();
                throw;
            }

            return new PtyPair(master, slavePath, slave);
        }
        catch
        {
            close(master);
            throw;
        }
    }

    /// <summary>Opens a terminal without making it the controlling one, e.g. to hold a pty slave open.</summary>
    public static SafeFileHandle OpenTerminal(string path) => new(Terminal.Open(path), ownsHandle: true);

    /// <summary>
    /// Reads the master on a thread of its own until <paramref name="bytes"/> arrived, or nothing did
    /// for <paramref name="idle"/>; answers the count and the Stopwatch timestamp of the last read.
    /// </summary>
    public Task<(long Count, long LastAt)> ReadMasterAsync(long bytes, TimeSpan idle, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<(long, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(ReadMaster(bytes, idle, cancellationToken));
            }
            catch (IOException ex)
            {
                done.SetException(ex);
            }
        }) { IsBackground = true, Name = "read " + SlavePath + " master" };
        thread.Start();
        return done.Task;
    }

    public void Dispose()
    {
        _slave.Dispose();
        close(_master);
    }

    private (long Count, long LastAt) ReadMaster(long bytes, TimeSpan idle, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 << 10];
        var count = 0L;
        var lastAt = 0L;
        var quietSince = Stopwatch.GetTimestamp();
        fixed (byte* p = buffer)
        {
            while (count < bytes && !cancellationToken.IsCancellationRequested && Stopwatch.GetElapsedTime(quietSince) < idle)
            {
                var fd = new pollfd { fd = _master, events = (short)POLLIN };
                var ready = poll(&fd, 1, PollMs);
                if (ready < 0 && Marshal.GetLastPInvokeError() != EINTR)
                {
                    throw Error("poll /dev/ptmx");
                }

                if (ready <= 0 || (fd.revents & POLLIN) == 0)
                {
                    continue;
                }

                var n = (long)read(_master, p, buffer.Length);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() != EINTR)
                    {
                        throw Error("read /dev/ptmx");
                    }

                    continue;
                }

                count += n;
                lastAt = Stopwatch.GetTimestamp();
                quietSince = lastAt;
            }
        }

        return (count, lastAt);
    }
}
