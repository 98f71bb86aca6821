using CharWeb.Engine.Devices;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-serial.c</c>: a host tty in raw mode with the given line settings and no flow
/// control; reads on a dedicated thread; a break is a real <c>tcsendbreak</c>.
/// </summary>
public sealed class SerialBackend(SerialBackendOptions options, string path, DevicePolicy devices) : ChardevBackend
{
    private const int WriteWaitMs = 2000;

    private static readonly Dictionary<int, uint> Speeds = new()
    {
        [1200] = B1200, [1800] = B1800, [9600] = B9600, [19200] = B19200, [38400] = B38400,
        [57600] = B57600, [115200] = B115200, [230400] = B230400, [460800] = B460800, [921600] = B921600,
        [1000000] = B1000000, [1500000] = B1500000, [3000000] = B3000000,
    };

    private DeviceFile? _device;
    private DeviceReader? _reader;

    public static BackendKind Kind { get; } = BackendKind.Create<SerialBackendOptions>(
        "A host serial device (tty) with baud, data bits, parity and stop bits.",
        Validate,
        (o, c) => new SerialBackend(o, c.Paths.FullPath(o.Path), c.Devices),
        (o, c) => [new BackendClaim("path", "tty:" + c.Paths.FullPath(o.Path))],
        // QAPI's ChardevHostdev names the device "device".
        fromQapi: data => Qapi.QapiNames.Rename(data, "device", "path"));

    public override string Filename => path;

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        var device = devices.Open("path", path);
        try
        {
            Configure(device.Fd);
        }
        catch
        {
            device.Dispose();
            throw;
        }

        _device = device;
        SetState(ChardevState.Open);
        _reader = new DeviceReader(device, Output, reason => SetState(ChardevState.Failed, reason));
        return ValueTask.CompletedTask;
    }

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ValueTask.FromResult((_device ?? throw new InvalidOperationException("serial device is not open")).WriteAll(data.Span, WriteWaitMs, cancellationToken));

    public override ValueTask<bool> SendBreakAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(_device is { } device && tcsendbreak(device.Fd, 0) == 0);

    public override async ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _device?.Dispose();
        await base.DisposeAsync();
    }

    private static IEnumerable<FieldError> Validate(SerialBackendOptions o, BackendContext context)
    {
        var errors = new List<FieldError>();
        context.Devices.Validate("path", o.Path, context.Paths, "/dev/ttyUSB0", errors);
        foreach (var error in errors)
        {
            yield return error;
        }

        if (!Speeds.ContainsKey(o.Baud))
        {
            yield return new FieldError("baud", $"must be one of {string.Join(", ", Speeds.Keys)}, got {o.Baud}");
        }

        if (o.DataBits is < 5 or > 8)
        {
            yield return new FieldError("dataBits", $"must be 5, 6, 7 or 8, got {o.DataBits}");
        }

        if (o.Parity is not ("none" or "even" or "odd"))
        {
            yield return new FieldError("parity", $"must be none, even or odd, got '{o.Parity}'");
        }

        if (o.StopBits is not (1 or 2))
        {
            yield return new FieldError("stopBits", $"must be 1 or 2, got {o.StopBits}");
        }
    }

    /// <summary>Raw, with no flow control and the line settings asked for.</summary>
    private unsafe void Configure(int fd) => RawMode.Set(fd, path, t =>
    {
        t->c_iflag &= ~(IXOFF | IXANY);
        t->c_cflag &= ~(CSIZE | PARODD | CSTOPB | CRTSCTS);
        t->c_cflag |= CREAD | CLOCAL | options.DataBits switch { 5 => CS5, 6 => CS6, 7 => CS7, _ => CS8 };
        t->c_cflag |= options.Parity switch { "even" => PARENB, "odd" => PARENB | PARODD, _ => 0u };
        t->c_cflag |= options.StopBits == 2 ? CSTOPB : 0u;
        var speed = Speeds[options.Baud];
        if (cfsetispeed(t, speed) != 0 || cfsetospeed(t, speed) != 0)
        {
            throw DeviceFile.Error($"configure {path}");
        }
    });
}
