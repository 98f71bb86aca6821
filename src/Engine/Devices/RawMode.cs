using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine.Devices;

/// <summary>
/// A terminal device in raw mode, as <c>cfmakeraw</c> leaves it (QEMU's <c>qemu_openpty_raw</c> for a
/// pty, <c>tty_serial_init</c> for a host tty): bytes pass unchanged, nothing is echoed or turned
/// into a signal, and a read returns as soon as one byte is there.
/// </summary>
internal static unsafe class RawMode
{
    /// <summary>Settings a device adds on top of raw mode (a serial port's speed and framing), made in the same <c>tcsetattr</c>.</summary>
    public delegate void Adjust(termios* settings);

    /// <summary>Puts the terminal <paramref name="fd"/> in raw mode, then <paramref name="adjust"/>; throws with the OS reason.</summary>
    public static void Set(int fd, string path, Adjust? adjust = null)
    {
        termios settings;
        if (tcgetattr(fd, &settings) != 0)
        {
            throw DeviceFile.Error($"{path} is not a terminal device");
        }

        settings.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        settings.c_oflag &= ~OPOST;
        settings.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        settings.c_cflag = (settings.c_cflag & ~(CSIZE | PARENB)) | CS8;
        settings.c_cc[VMIN] = 1;
        settings.c_cc[VTIME] = 0;
        adjust?.Invoke(&settings);
        if (tcsetattr(fd, (int)TCSANOW, &settings) != 0)
        {
            throw DeviceFile.Error($"configure {path}");
        }
    }
}
