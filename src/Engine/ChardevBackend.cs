namespace CharWeb.Engine;

/// <summary>
/// What a backend tells its chardev; the chardev owns every rule the backends share
/// (stats, logfile, history, fan-out, events), as QEMU's <c>char.c</c> does.
/// </summary>
internal interface IBackendOwner
{
    OutputGate Gate { get; }

    /// <summary>Device output; <paramref name="owned"/>, when given, is an array holding exactly <paramref name="data"/> that the backend hands over. Answers whether it was kept.</summary>
    bool OnOutput(ChardevBackend source, ReadOnlySpan<byte> data, byte[]? owned);

    void OnStateChanged(ChardevBackend source, ChardevState state, string? reason, int? exitCode);

    void OnBreak(ChardevBackend source);
}

/// <summary>
/// The device side of a chardev: one small class per kind. A backend reports device output with
/// <see cref="Output"/>, never blocks in it, and reports its state with <see cref="SetState"/>.
/// </summary>
public abstract class ChardevBackend : IAsyncDisposable
{
    /// <summary>
    /// The most a backend reads from its device at once; a paced console keeps room for one such read. Just under
    /// 64 KiB, so that a read framed for a console (a MessagePack stream item or a WebSocket frame adds under 64
    /// bytes) still fits the 64 KiB buffers that ArrayPool and the pipes rent: a larger one rounds up to 128 KiB, a
    /// large-object-heap array, and with many consoles those outgrow the pool and cost a gen2 collection apiece.
    /// </summary>
    public const int ReadBytes = (64 << 10) - 128;

    private IBackendOwner? _owner;

    /// <summary>QEMU's <c>query-chardev</c> filename, e.g. <c>ringbuf</c> or <c>file:/tmp/out</c>.</summary>
    public abstract string Filename { get; }

    /// <summary>The pty slave path, where there is one.</summary>
    public virtual string? PtyPath => null;

    /// <summary>Whether its kind can be paced (<see cref="BackendKind.CanPace"/>): it waits on <see cref="WaitForRoomAsync"/> before each read.</summary>
    public bool CanPace { get; internal set; }

    /// <summary>Opens the device. Throws (with the OS reason) when it cannot.</summary>
    public abstract ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>Console or REST input into the device; answers how many bytes were taken.</summary>
    public abstract ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Input from a known writer; only kinds that keep state per writer (mux) look at who it is.</summary>
    public virtual ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, InputSource source, CancellationToken cancellationToken) =>
        WriteAsync(data, cancellationToken);

    /// <summary>Sends a break to the device; false where the kind has no such thing.</summary>
    public virtual ValueTask<bool> SendBreakAsync(CancellationToken cancellationToken) => ValueTask.FromResult(false);

    /// <summary>
    /// Looks at the device side now, before input is dropped for want of a connection: a pty's slave
    /// may have been opened since the backend last looked (QEMU's pty does the same in its write).
    /// </summary>
    public virtual void Probe()
    {
    }

    /// <summary>The console's terminal size (pty, exec); ignored elsewhere.</summary>
    public virtual void Resize(int cols, int rows)
    {
    }

    /// <summary>The terminal size the device starts with (a recording's first header): pty and exec say theirs.</summary>
    public virtual (int Cols, int Rows) TerminalSize => (80, 24);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    internal void Bind(IBackendOwner owner) => _owner = owner;

    /// <summary>
    /// True only while the chardev is being created: the one time a backend may empty a file it
    /// writes. A restart or a hot-swap reopens files for append (QEMU truncates at creation only).
    /// </summary>
    protected internal bool Creating { get; internal set; }

    /// <summary>Device output: goes to logfile, history and every console; never blocks.</summary>
    protected void Output(ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty)
        {
            _owner?.OnOutput(this, data, owned: null);
        }
    }

    /// <summary>
    /// Device output in an array the backend gives away: the consoles share it as it is, with no copy.
    /// Answers true when it was kept (the backend must never write to it again), false when it may reuse it.
    /// </summary>
    protected bool GiveOutput(byte[] chunk) => chunk.Length > 0 && _owner is { } owner && owner.OnOutput(this, chunk, chunk);

    /// <summary>Before reading the device: waits while the consoles' pace says so (never with no console).</summary>
    protected Task WaitForRoomAsync(CancellationToken cancellationToken) => _owner?.Gate.WaitAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>The same for a backend's own read thread: answers whether it may read now, waiting up to <paramref name="timeoutMs"/>.</summary>
    internal bool WaitForRoom(int timeoutMs) => _owner?.Gate.Wait(timeoutMs) ?? true;

    protected void SetState(ChardevState state, string? reason = null, int? exitCode = null) => _owner?.OnStateChanged(this, state, reason, exitCode);

    protected void ReceivedBreak() => _owner?.OnBreak(this);
}

/// <summary>A backend whose stored bytes REST <c>read</c> consumes (ringbuf).</summary>
public interface IConsumableBackend
{
    /// <summary>Moves up to <paramref name="destination"/>'s length of stored bytes out; answers the count.</summary>
    int Consume(Span<byte> destination);
}
