using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace CharWeb.Bench;

/// <summary>The few terminal calls the pty scenarios share: open without becoming the controlling terminal, raw mode, errors.</summary>
internal static unsafe class Terminal
{
    // Linux values that Tmds.LibC does not name.
    private const uint BrkInt = 0x2;
    private const uint ParMrk = 0x8;
    private const uint ParEnb = 0x100;

    /// <summary>open(2) with <c>O_RDWR | O_NOCTTY | O_CLOEXEC</c> and any <paramref name="extraFlags"/>.</summary>
    public static int Open(string path, int extraFlags = 0)
    {
        var name = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = name)
        {
            var fd = open(p, O_RDWR | O_NOCTTY | O_CLOEXEC | extraFlags, 0);
            Check(fd, "open " + path);
            return fd;
        }
    }

    /// <summary>
    /// cfmakeraw, as the Engine's pty backend and QEMU's <c>qemu_openpty_raw</c> set it. Written again
    /// here on purpose: the baselines open their ptys without any of the code they are measured against.
    /// </summary>
    public static void MakeRaw(int fd, string path)
    {
        termios t;
        Check(tcgetattr(fd, &t), "tcgetattr " + path);
        t.c_iflag &= ~(IGNBRK | BrkInt | ParMrk | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        t.c_oflag &= ~OPOST;
        t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        t.c_cflag &= ~(CSIZE | ParEnb);
        t.c_cflag |= CS8;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        Check(tcsetattr(fd, (int)TCSANOW, &t), "tcsetattr " + path);
    }

    public static void Check(int result, string what)
    {
        if (result < 0)
        {
            throw Error(what);
        }
    }

    public static IOException Error(string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
