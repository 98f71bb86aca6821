using CharWeb.Engine.Devices;

namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-pipe.c</c>: reads <c>path.in</c> as the device's output and writes console input to
/// <c>path.out</c>; when either is missing, one <c>path</c> serves both. Opened read-write, as QEMU
/// does, so a FIFO never blocks at open and never ends when a writer goes away. Anything but a
/// FIFO is refused: a regular file would read as endless end-of-file.
/// </summary>
public sealed class PipeBackend(string path, PathPolicy paths) : ChardevBackend
{
    private const int WriteWaitMs = 2000;

    private DeviceFile? _in;
    private DeviceFile? _out;
    private DeviceReader? _reader;

    public static BackendKind Kind { get; } = BackendKind.Create<PipeBackendOptions>(
        "FIFOs path.in (read as output) and path.out (takes input), or one path for both.",
        (o, c) =>
        {
            var errors = new List<FieldError>();
            c.Paths.Resolve("path", o.Path, errors);
            return errors;
        },
        (o, c) => new PipeBackend(c.Paths.FullPath(o.Path), c.Paths),
        // Every file it may open is held, under the names another chardev would use for them.
        (o, c) => new[] { "", ".in", ".out" }.Select(suffix => new BackendClaim("path", "file:" + c.Paths.FullPath(o.Path) + suffix)),
        // QAPI's ChardevHostdev names the FIFOs' path "device".
        fromQapi: data => Qapi.QapiNames.Rename(data, "device", "path")).Paced();

    public override string Filename => "pipe";

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(path + ".in") && File.Exists(path + ".out"))
        {
            _in = Open(path + ".in");
            try
            {
                _out = Open(path + ".out");
            }
            catch
            {
                _in.Dispose();
                throw;
            }
        }
        else
        {
            _in = _out = Open(path);
        }

        SetState(ChardevState.Open);
        _reader = new DeviceReader(_in, Output, reason => SetState(ChardevState.Failed, reason), WaitForRoom);
        return ValueTask.CompletedTask;
    }

    private DeviceFile Open(string fifo) => DeviceFile.Adopt(paths.OpenFifo("path", fifo), fifo);

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ValueTask.FromResult((_out ?? throw new InvalidOperationException("pipe is not open")).WriteAll(data.Span, WriteWaitMs, cancellationToken));

    public override async ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _in?.Dispose();
        _out?.Dispose();
        await base.DisposeAsync();
    }
}
