using System.Collections.Immutable;
using CharWeb.Engine.Consoles;
using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>
/// One chardev: a backend (the device side) and its consoles. Like QEMU's <c>char.c</c> it owns
/// the rules every backend shares: stats, logfile, history, events, and the spice rule that
/// output with no console attached is discarded and counted, never queued, never blocking.
/// Output takes its path through <see cref="OutputFanout"/>, input through <see cref="ChardevInput"/>;
/// this type keeps the lifecycle: open, hot-swap, removal and the device side's state.
/// </summary>
public sealed partial class Chardev : IBackendOwner, IAsyncDisposable
{
    private readonly BackendContext _context;
    private readonly ChardevCounters _counters = new();
    private readonly OutputFanout _output;
    private readonly ChardevInput _input;
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private readonly ConsoleRoster _roster;
    private readonly ChardevEventHandlers _handlers;
    private readonly KeystrokeClock _keystrokes;
    private ChardevBackend _backend;
    private ChardevState _state = ChardevState.Connecting;
    private bool _disposed;

    internal Chardev(ChardevDefinition definition, ChardevBackend backend, ChardevSource source, DateTimeOffset createdAt, BackendContext context, bool allocate = true)
    {
        Definition = definition;
        Source = source;
        CreatedAt = createdAt;
        _context = context;
        _logger = context.Loggers.CreateLogger<Chardev>();
        _handlers = new ChardevEventHandlers(definition.Id, _logger);
        _backend = backend;
        _backend.Bind(this);
        _output = new OutputFanout(
            definition.Id,
            allocate ? definition.History : 0,
            _counters,
            reason => Raise(ChardevEventKind.Failed, e => e with { Reason = reason, State = _state }),
            context.Time,
            _logger);
        _output.Paced = definition.Flow == FlowPolicy.Pace && backend.CanPace;
        _roster = new ConsoleRoster(definition.Id, _output, definition.Writers, context.Limits.MaxConsolesPerChardev, context.Time, _handlers.Raise);
        _keystrokes = new KeystrokeClock(context.Time, context.KeystrokeEchoed is { } echoed ? elapsed => echoed(this, elapsed) : null);
        _input = new ChardevInput(this, _counters, _keystrokes, context.Time);
    }

    /// <summary>A stored chardev that today's rules refuse: listed, failed with <paramref name="reason"/>, holding nothing and never opened.</summary>
    internal static Chardev Refused(ChardevDefinition definition, ChardevSource source, DateTimeOffset createdAt, BackendContext context, string reason) =>
        new(definition, new RefusedBackend(), source, createdAt, context, allocate: false) { _state = ChardevState.Failed, LastError = reason };

    /// <summary>Raised on the thread where it happened; handlers must not block.</summary>
    public event Action<ChardevEvent>? EventRaised
    {
        add => _handlers.Raised += value;
        remove => _handlers.Raised -= value;
    }

    public string Id => Definition.Id;

    /// <summary>The definition as it stands, with defaults filled and the current backend.</summary>
    public ChardevDefinition Definition { get; private set; }

    public ChardevSource Source { get; }

    public DateTimeOffset CreatedAt { get; }

    public ChardevState State => _state;

    /// <summary>True while the device side is connected and takes input.</summary>
    public bool Connected => _state == ChardevState.Open;

    /// <summary>Why the chardev last closed or failed.</summary>
    public string? LastError { get; internal set; }

    public string Filename => _backend.Filename;

    public string? PtyPath => _backend.PtyPath;

    public ChardevStats Stats => _counters.Snapshot();

    /// <summary>Output the consoles of this chardev lost by falling behind, those that have left included.</summary>
    public long ConsoleBytesLost => _counters.ConsoleLostTotal;

    public ImmutableArray<ConsoleSession> Consoles => _output.Consoles;

    /// <summary>Who holds the writer seat (null: nobody, or <c>writers: all</c>).</summary>
    public string? Writer => _roster.Writer;

    public string? LogfilePath => Definition.Logfile is null ? null : _context.Paths.FullPath(Definition.Logfile);

    /// <summary>The asciicast recording being written (<c>record: true</c>), or null.</summary>
    public string? RecordingPath => Definition.Record ? _context.Paths.FullPath(AsciicastRecorder.RelativePath(Id)) : null;

    /// <summary>The backend in use; a hot-swap changes it only while <see cref="ChardevInput"/> is held.</summary>
    internal ChardevBackend Backend => _backend;

    /// <summary>Whether REST <c>read</c> consumes (ringbuf) rather than reads history.</summary>
    public bool IsConsumable => _backend is IConsumableBackend;

    /// <summary>Input into the device from a writer that does not say who it is (<see cref="InputSource.Anonymous"/>).</summary>
    public ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        WriteAsync(data, InputSource.Anonymous, cancellationToken);

    /// <summary>Input into the device from <paramref name="source"/>. Answers the bytes accepted: 0 when the device side is not connected.</summary>
    public ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, InputSource source, CancellationToken cancellationToken) =>
        _input.WriteAsync(data, source, cancellationToken);

    /// <summary>QEMU's <c>chardev-send-break</c>; answers whether the backend carried a real break.</summary>
    public ValueTask<bool> SendBreakAsync(CancellationToken cancellationToken) => _input.SendBreakAsync(null, cancellationToken);

    /// <summary>A break sent by <paramref name="by"/> (<c>user@address</c>, as the log's event lines name who sent it).</summary>
    public ValueTask<bool> SendBreakAsync(string? by, CancellationToken cancellationToken) => _input.SendBreakAsync(by, cancellationToken);

    public void Resize(int cols, int rows)
    {
        _input.Resize(cols, rows);
        _output.Resize(cols, rows);
    }

    /// <summary>
    /// REST <c>read</c>: consumes up to <paramref name="size"/> bytes of a ringbuf, or returns the
    /// newest <paramref name="size"/> bytes of history of any other kind without consuming them.
    /// </summary>
    public byte[] Read(int size)
    {
        if (_backend is IConsumableBackend consumable)
        {
            var buffer = new byte[size];
            return buffer[..consumable.Consume(buffer)];
        }

        return _output.Tail(size, Definition.Backend!.Type);
    }

    /// <summary>The replay buffer as it stands (what a new console would be shown first).</summary>
    public byte[] History() => _output.History();

    public async ValueTask DisposeAsync()
    {
        // Let a write or swap in progress finish; those queued behind it then see "removed".
        ChardevBackend backend;
        ImmutableArray<ConsoleSession> consoles;
        using (await _input.HoldAsync(CancellationToken.None))
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                backend = _backend;
                consoles = _roster.Close();
            }
        }

        // Consoles hear "removed" in order after their last output, then their streams end.
        var removed = new ChardevEvent(Id, ChardevEventKind.Removed, _context.Time.GetUtcNow());
        foreach (var console in consoles)
        {
            console.Notify(removed);
            console.End("removed");
        }

        Raise(ChardevEventKind.Removed);
        await CloseAsync(backend);
        _output.CloseLogfile();
    }

    /// <summary>
    /// Opens logfile and backend. Only <paramref name="creating"/> may empty a file (QEMU truncates
    /// at creation, never when a restarted server brings a chardev back) and a failure throws;
    /// otherwise a failure leaves the chardev in state failed.
    /// </summary>
    internal async Task OpenAsync(bool creating, CancellationToken cancellationToken)
    {
        try
        {
            if (LogfilePath is { } logfile)
            {
                _output.OpenLogfile(_context.Paths, logfile, LogSettings.Of(Definition));
            }

            if (Definition.Record)
            {
                _output.StartRecording(new AsciicastRecorder(Id, _context.Paths, RecordSettings.Of(Definition), _backend.TerminalSize, _context.Time));
            }

            _backend.Creating = creating;
            await _backend.OpenAsync(cancellationToken);
            if (creating && !Definition.Logappend)
            {
                // Only now: a create refused by its backend must not have cost the log its content.
                _output.TruncateLogfile();
            }
        }
        catch (Exception ex) when (OpenFailures.IsOpenFailure(ex) || ex is ChardevException)
        {
            if (creating)
            {
                _output.AbandonLogfile();
                _output.AbandonRecording();
                throw ex is ChardevException refused ? OpenFailures.UnderBackend(refused) : OpenFailures.Backend(Id, _backend.Filename, ex);
            }

            _state = ChardevState.Failed;
            LastError = ex.Message;
            LogOpenFailed(Id, ex.Message);
        }

        _output.LogfileReady();
    }

    /// <summary>
    /// QEMU's <c>chardev-change</c>: the new backend opens, <paramref name="commit"/> records the new
    /// definition, and only then does the old backend go; if either step fails, the old one stays.
    /// </summary>
    internal async Task ChangeBackendAsync(BackendOptions options, ChardevBackend fresh, Func<ChardevDefinition, Task> commit, CancellationToken cancellationToken)
    {
        using var held = await _input.HoldAsync(cancellationToken);
        ThrowIfRemoved();
        var old = _backend;
        var oldState = _state;
        var oldError = LastError;
        fresh.Bind(this);
        lock (_gate)
        {
            _backend = fresh;
        }

        _output.Paced = Definition.Flow == FlowPolicy.Pace && fresh.CanPace;

        var changed = Definition with { Backend = options };
        var opened = false;
        try
        {
            await fresh.OpenAsync(cancellationToken);
            opened = true;
            await commit(changed);
        }
        catch (Exception ex)
        {
            // Whatever went wrong, the old backend stays: the new one never serves.
            lock (_gate)
            {
                _backend = old;
                _state = oldState;
                LastError = oldError;
            }

            _output.Paced = Definition.Flow == FlowPolicy.Pace && old.CanPace;

            await CloseAsync(fresh);
            // PUT's body is the backend: a refusal names fields inside it, as validation does.
            if (opened || ex is ChardevException or OperationCanceledException || !OpenFailures.IsOpenFailure(ex))
            {
                throw;
            }

            throw OpenFailures.Backend(Id, _backend.Filename, ex);
        }

        Definition = changed;
        LastError = null;
        await CloseAsync(old);
        LogChanged(Id, options.Type);
        _output.Note(LogNotes.Changed(options.Type));
        Raise(ChardevEventKind.Changed, e => e with { State = _state });
    }

    OutputGate IBackendOwner.Gate => _output.Gate;

    bool IBackendOwner.OnOutput(ChardevBackend source, ReadOnlySpan<byte> data, byte[]? owned)
    {
        if (!ReferenceEquals(source, _backend) || _disposed)
        {
            return false;
        }

        _keystrokes.Output();
        return _output.Output(data, owned);
    }

    /// <summary>A console lost <paramref name="bytes"/> of output by falling behind.</summary>
    internal void CountConsoleLoss(long bytes) => _counters.ConsoleLost(bytes);

    void IBackendOwner.OnStateChanged(ChardevBackend source, ChardevState state, string? reason, int? exitCode)
    {
        if (!ReferenceEquals(source, _backend))
        {
            return;
        }

        var wasConnected = Connected;
        _state = state;
        if (reason is not null)
        {
            LastError = reason;
        }

        if (Connected && !wasConnected)
        {
            LogOpened(Id);
            _output.Note(LogNotes.Up);
            Raise(ChardevEventKind.Opened, e => e with { State = state });
        }
        else if (!Connected && wasConnected)
        {
            LogClosed(Id, reason ?? state.ToString());
            _output.Note(LogNotes.Down(reason, exitCode));
            Raise(ChardevEventKind.Closed, e => e with { State = state, Reason = reason, ExitCode = exitCode });
        }

        if (state == ChardevState.Failed)
        {
            Raise(ChardevEventKind.Failed, e => e with { State = state, Reason = reason });
        }
    }

    void IBackendOwner.OnBreak(ChardevBackend source)
    {
        if (ReferenceEquals(source, _backend))
        {
            _output.Note(LogNotes.BreakReceived);
            Raise(ChardevEventKind.Break);
        }
    }

    /// <summary>Closing a backend must not fail removal or a swap; what it says is logged.</summary>
    private async Task CloseAsync(ChardevBackend backend)
    {
        try
        {
            await backend.DisposeAsync();
        }
        catch (Exception ex)
        {
            LogCloseFailed(Id, backend.Filename, ex);
        }
    }

    /// <summary>An event line in the log, where the chardev asks for them (<c>logEvents</c>).</summary>
    internal void Note(string text) => _output.Note(text);

    internal void ThrowIfRemoved()
    {
        if (_disposed)
        {
            throw ChardevException.Removed(Id);
        }
    }

    internal void Raise(ChardevEventKind kind, Func<ChardevEvent, ChardevEvent>? fill = null)
    {
        var e = new ChardevEvent(Id, kind, _context.Time.GetUtcNow());
        if (fill is not null)
        {
            e = fill(e);
        }

        _roster.Notify(e);
        _handlers.Raise(e);
    }
}
