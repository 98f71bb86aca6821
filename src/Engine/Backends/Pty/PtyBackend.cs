using CharWeb.Engine.Devices;

namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-pty.c</c>: a pseudo-terminal; <c>ptyPath</c> is the slave another program opens.
/// The chardev is <c>closed</c> while no program has the slave open and <c>open</c> while one has,
/// checked as QEMU does by polling for hang-up. Reads run on a dedicated thread, never the pool.
/// </summary>
public sealed class PtyBackend(PtyBackendOptions options) : ChardevBackend
{
    private const int PollMs = 200;
    private const int HangupRecheckMs = 100;
    private const int WriteWaitMs = 2000;

    private readonly ManualResetEventSlim _stop = new();
    private readonly Lock _connection = new();
    private PseudoTerminal? _pty;
    private Thread? _reader;
    private volatile bool _open;
    private volatile bool _readerDone;

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
        _pty = PseudoTerminal.Open(options.Cols, options.Rows);
        SetState(ChardevState.Closed, "no program has the pty open yet");
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "pty " + _pty.SlavePath };
        _reader.Start();
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
        if (_pty is { } pty && !_readerDone && !pty.Master.Poll(0).HungUp)
        {
            Connect();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _stop.Set();
        _reader?.Join();
        _pty?.Dispose();
        _stop.Dispose();
        await base.DisposeAsync();
    }

    private void ReadLoop()
    {
        var pty = _pty!.Master;
        var buffer = new byte[ReadBytes];
        try
        {
            while (!_stop.IsSet)
            {
                // Held while every console is full, once a program writes: the pty waits, nothing is lost.
                if (_open && !WaitForRoom(PollMs))
                {
                    continue;
                }

                // While nobody has the slave open, look without waiting so that an opened slave is seen at once.
                var (readable, hungUp) = pty.Poll(_open ? PollMs : 0);
                var n = readable ? pty.Read(buffer) : 0;
                if (n > 0)
                {
                    Connect();
                    Output(buffer.AsSpan(0, n));
                }
                else if (hungUp || n < 0)
                {
                    Disconnect(pty);

                    // No slave is open: check again shortly, as QEMU's pty timer does.
                    _stop.Wait(HangupRecheckMs);
                }
                else
                {
                    // A poll without hang-up: a program holds the slave open.
                    Connect();
                }
            }
        }
        catch (IOException ex)
        {
            _readerDone = true;
            SetState(ChardevState.Failed, ex.Message);
        }
        finally
        {
            _readerDone = true;
        }
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
