using CharWeb.Engine.Devices;

namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-pty.c</c>: a pseudo-terminal; <c>ptyPath</c> is the slave another program opens.
/// The chardev is <c>closed</c> while no program has the slave open and <c>open</c> while one has,
/// checked as QEMU does by polling for hang-up. Reads run on a <see cref="DeviceReader"/>, never the pool.
/// </summary>
public sealed class PtyBackend(PtyBackendOptions options) : ChardevBackend
{
    public override (int Cols, int Rows) TerminalSize => (options.Cols, options.Rows);

    private const int WriteWaitMs = 2000;

    private readonly Lock _connection = new();
    private PseudoTerminal? _pty;
    private DeviceReader? _reader;
    private volatile bool _open;

    public static BackendKind Kind { get; } = BackendKind.Create<PtyBackendOptions>(
        "A real pseudo-terminal; its slave path (ptyPath) is for another program to open.",
        (o, _) => o.Cols is < 1 or > 1000 || o.Rows is < 1 or > 1000
            ? [new FieldError(o.Cols is < 1 or > 1000 ? "cols" : "rows", "must be between 1 and 1000")]
            : [],
        (o, _) => new PtyBackend(o)).Paced();

    public override string Filename => _pty is { } pty ? "pty:" + pty.SlavePath : "pty";

    public override string? PtyPath => _pty?.SlavePath;

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        var pty = _pty = PseudoTerminal.Open(options.Cols, options.Rows);
        SetState(ChardevState.Closed, "no program has the pty open yet");
        _reader = new DeviceReader(
            pty.Master,
            Output,
            reason => SetState(ChardevState.Failed, reason),
            // Held while every console is full, once a program writes: the pty waits, nothing is lost.
            // With no program there is nothing to read, and waiting would only delay seeing one arrive.
            mayRead: timeoutMs => !_open || WaitForRoom(timeoutMs),
            peer: there =>
            {
                if (there)
                {
                    Connect();
                }
                else
                {
                    Disconnect(pty.Master);
                }
            });
        return ValueTask.CompletedTask;
    }

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var pty = _pty ?? throw new InvalidOperationException("pty is not open");
        return ValueTask.FromResult(pty.Master.WriteAll(data.Span, WriteWaitMs, cancellationToken));
    }

    public override void Resize(int cols, int rows) => _pty?.Resize(cols, rows);

    /// <summary>A program that opened the slave a moment ago is connected now, not at the reader's next look.</summary>
    public override void Probe()
    {
        if (_pty is { } pty && _reader is { Ended.IsCompleted: false } && !pty.Master.Poll(0).HungUp)
        {
            Connect();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _pty?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>Open, once; the reader and a write's <see cref="Probe"/> may both get here.</summary>
    private void Connect()
    {
        lock (_connection)
        {
            if (!_open)
            {
                _open = true;
                SetState(ChardevState.Open);
            }
        }
    }

    /// <summary>Closed, unless a program opened the slave since the reader saw the hang-up (looked at again under the lock).</summary>
    private void Disconnect(DeviceFile master)
    {
        lock (_connection)
        {
            if (_open && master.Poll(0).HungUp)
            {
                _open = false;
                SetState(ChardevState.Closed, "the program on the pty closed it");
            }
        }
    }
}
