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
    private readonly Devices.DeviceFile _master;
    private Devices.DeviceFile? _heldSlave;

    private PseudoTerminal(Devices.DeviceFile master, string slavePath)
    {
        _master = master;
        SlavePath = slavePath;
    }

    public string SlavePath { get; }

    /// <summary>The master side, where the chardev reads and writes.</summary>
    public Devices.DeviceFile Master => _master;

    /// <summary>A new pty; <paramref name="raw"/> as QEMU's (a device talks), or a normal terminal for a program.</summary>
    public static PseudoTerminal Open(int cols, int rows, bool raw = true)
    {
        var master = Devices.DeviceFile.Open("/dev/ptmx");
        try
        {
            int unlock = 0, number;
            Check(ioctl(master.Fd, (int)TIOCSPTLCK, &unlock), "unlockpt");
            Check(ioctl(master.Fd, (int)TIOCGPTN, &number), "ptsname");
            var slavePath = $"/dev/pts/{number}";
            var pty = new PseudoTerminal(master, slavePath);
            if (raw)
            {
                // Through the slave, then let go: whoever opens it next is the peer.
                using var slave = Devices.DeviceFile.Open(slavePath);
                Devices.RawMode.Set(slave.Fd, slavePath);
            }

            pty.Resize(cols, rows);
            return pty;
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    public void Resize(int cols, int rows)
    {
        var size = new winsize { ws_col = (ushort)cols, ws_row = (ushort)rows };
        Check(ioctl(_master.Fd, (int)TIOCSWINSZ, &size), "TIOCSWINSZ");
    }

    /// <summary>Keeps the slave open from here, so the master does not hang up before a program opens it.</summary>
    public void HoldSlave() => _heldSlave = Devices.DeviceFile.Open(SlavePath);

    /// <summary>Lets go of the held slave: once the program has closed it too, the master hangs up.</summary>
    public void ReleaseSlave() => Interlocked.Exchange(ref _heldSlave, null)?.Dispose();

    public void Dispose()
    {
        ReleaseSlave();
        _master.Dispose();
    }

    private static void Check(int result, string what)
    {
        if (result < 0)
        {
            throw Error(what);
        }
    }

    private static IOException Error(string what) => Devices.DeviceFile.Error(what);
}
