using CharWeb.Engine.Devices;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-parallel.c</c> on Linux: the port is claimed through ppdev (<c>PPCLAIM</c>) and
/// input is written to it; a printer port says nothing back. Where there is no such device the
/// error says so.
/// </summary>
public sealed class ParallelBackend(string path, DevicePolicy devices) : ChardevBackend
{
    // _IO('p', 0x8b) and _IO('p', 0x8c) of linux/ppdev.h.
    private const int PpClaim = 0x708b;
    private const int PpRelease = 0x708c;

    private DeviceFile? _port;

    public static BackendKind Kind { get; } = BackendKind.Create<ParallelBackendOptions>(
        "A host parallel port (ppdev, e.g. /dev/parport0); output only.",
        (o, c) =>
        {
            var errors = new List<FieldError>();
            c.Devices.Validate("path", o.Path, c.Paths, "/dev/parport0", errors);
            return errors;
        },
        (o, c) => new ParallelBackend(c.Paths.FullPath(o.Path), c.Devices),
        (o, c) => [new BackendClaim("path", "parport:" + c.Paths.FullPath(o.Path))],
        // QAPI's ChardevHostdev names the device "device".
        fromQapi: data => Qapi.QapiNames.Rename(data, "device", "path"));

    public override string Filename => path;

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new IOException($"{path}: No such file or directory: this host has no parallel port there (is the ppdev module loaded?)");
        }

        var port = devices.Open("path", path);
        if (ioctl(port.Fd, PpClaim) != 0)
        {
            var error = DeviceFile.Error($"claim {path} (PPCLAIM)");
            port.Dispose();
            throw error;
        }

        _port = port;
        SetState(ChardevState.Open);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ValueTask.FromResult((_port ?? throw new InvalidOperationException("parallel port is not open")).WriteAll(data.Span, 2000, cancellationToken));

    public override async ValueTask DisposeAsync()
    {
        if (_port is { } port)
        {
            ioctl(port.Fd, PpRelease);
            port.Dispose();
        }

        await base.DisposeAsync();
    }
}
