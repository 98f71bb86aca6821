namespace CharWeb.Engine.Consoles;

/// <summary>
/// One attached console. The chardev hands it output and events without ever waiting; the console
/// keeps at most <see cref="ConsoleOptions.BufferBytes"/> of output queued, drops the oldest beyond
/// that and counts the loss, so a slow console never slows the device or the other consoles.
/// The loss is reported as an <c>overrun</c> event at the place in the stream where the bytes are
/// missing: what a console reads is the device's output in order, with each gap announced by an
/// overrun carrying its size, so a reader can tell exactly which bytes it did not get.
/// </summary>
public sealed class ConsoleSession : IAsyncDisposable
{
    private const int MaxQueuedEvents = 256;

    /// <summary>
    /// Queued chunks that follow each other are handed out together up to this size (a pty reads 4 KiB at a time):
    /// one device read's, which stays within the 64 KiB buffers a framed item is written into.
    /// </summary>
    private const int MaxItemBytes = ChardevBackend.ReadBytes;

    private readonly Chardev _chardev;
    private readonly ConsoleOptions _options;
    private readonly TimeProvider _time;
    private readonly Queue<(long Seq, byte[] Data)> _data = new();
    private readonly Queue<(long Seq, ChardevEvent Event)> _events = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource? _waiter;
    private long _seq;
    private int _queuedBytes;
    private long _sent;
    private long _acknowledged;
    private long _lost;
    private long _lostUnreported;
    private bool _ended;
    private int _disposed;
    private long _lastTaken;

    internal ConsoleSession(Chardev chardev, ConsoleOptions options, TimeProvider time, ReadOnlySpan<byte> history)
    {
        _chardev = chardev;
        _options = options;
        _time = time;
        Since = time.GetUtcNow();
        _lastTaken = time.GetTimestamp();
        Lag = new LagBudget(time);
        if (!history.IsEmpty)
        {
            // Replay only what fits; what does not fit was never promised to this console.
            var tail = history.Length > options.BufferBytes ? history[^options.BufferBytes..] : history;
            _data.Enqueue((_seq++, tail.ToArray()));
            _queuedBytes = tail.Length;
        }
    }

    public string Id { get; } = Guid.NewGuid().ToString("n");

    public string ChardevId => _chardev.Id;

    public string RemoteAddress => _options.RemoteAddress;


    public bool ReadOnly => _options.ReadOnly;

    public DateTimeOffset Since { get; }

    /// <summary>The terminal size this console last asked for, if it did.</summary>
    public (int Cols, int Rows)? Size { get; private set; }

    /// <summary>Bytes handed to the reader so far.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>Bytes the console said it has rendered.</summary>
    public long BytesAcknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>Output bytes this console lost because it fell behind.</summary>
    public long BytesLost => Interlocked.Read(ref _lost);

    /// <summary>Bytes queued for this console right now.</summary>
    public int QueuedBytes
    {
        get
        {
            lock (_lock)
            {
                return _queuedBytes;
            }
        }
    }

    /// <summary>
    /// What the pacer looks at, under one take of this console's lock. Room: a paced device may go on for this
    /// console, as its queue has room for one more read of the device (<see cref="ChardevBackend.ReadBytes"/>) and
    /// holds under 256 KiB, so a console that keeps up never reaches the point of losing output. Starved: it has
    /// nothing queued (it waits for the device) and has not ended.
    /// </summary>
    internal (bool Room, bool Starved, int Queued) PaceState
    {
        get
        {
            lock (_lock)
            {
                return (RoomLocked(), _queuedBytes == 0 && !_ended, _queuedBytes);
            }
        }
    }

    /// <summary>A console that has taken nothing for this long is stalled: it no longer holds a paced device, it loses output instead.</summary>
    internal static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(2);

    /// <summary>How long this console may still hold a paced device while another console has room.</summary>
    internal LagBudget Lag { get; }

    /// <summary>Told, outside this console's lock, when it took output while the device was held.</summary>
    internal Action? RoomFreed { get; set; }

    private int PaceBytes => Math.Min(256 << 10, _options.BufferBytes - ChardevBackend.ReadBytes);

    /// <summary>Why the stream ended (chardev removed, console detached), once it has.</summary>
    public string? EndReason { get; private set; }

    /// <summary>The next output or event, waiting for it if need be; null once the console has ended.</summary>
    public async ValueTask<ConsoleChunk?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            ConsoleChunk? taken;
            lock (_lock)
            {
                taken = TryTake();
                if (taken is not null)
                {
                    wait = Task.CompletedTask;
                }
                else if (_ended)
                {
                    return null;
                }
                else
                {
                    _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _waiter.Task;
                }
            }

            if (taken is { } item)
            {
                // Outside this console's lock: the fan-out takes its own, then each console's.
                if (!item.IsEvent && RoomFreed is { } freed && PaceState.Room)
                {
                    freed();
                }

                return item;
            }

            await wait.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Like <see cref="ReadAsync"/>, skipping events: the next output bytes, or null at the end.</summary>
    public async ValueTask<byte[]?> ReadDataAsync(CancellationToken cancellationToken)
    {
        while (await ReadAsync(cancellationToken) is { } item)
        {
            if (!item.IsEvent)
            {
                return item.Data;
            }
        }

        return null;
    }

    /// <summary>Flow control: total bytes this console has rendered since it attached.</summary>
    public void Acknowledge(long renderedTotal)
    {
        lock (_lock)
        {
            _acknowledged = Math.Clamp(renderedTotal, _acknowledged, _sent);
            WakeReader();
        }
    }

    /// <summary>Console input into the device; refused for read-only consoles.</summary>
    public ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (ReadOnly)
        {
            throw new ChardevException(ChardevErrorKind.Conflict, "this console is read-only", [new FieldError("data", "a read-only console cannot write")]);
        }

        if (!_chardev.MayWrite(this))
        {
            var holder = _chardev.Writer;
            throw new ChardevException(
                ChardevErrorKind.Conflict,
                $"this console is a spy: {(holder is null ? "nobody" : $"'{holder}'")} holds the writer seat of '{ChardevId}'; take it over (TakeWriter) to type",
                [new FieldError("data", "a spy console cannot write")]);
        }

        // The console is the writer: a mux keeps each console's half-typed escape apart.
        return _chardev.WriteAsync(data, InputSource.Console(this), cancellationToken);
    }

    /// <summary>Whether this console may type now (it is not read-only, and holds the seat or there is none).</summary>
    public bool MayWrite => _chardev.MayWrite(this);

    /// <summary>Who is at this console.</summary>
    public string User => _options.User;

    /// <summary>The console's terminal size, passed to the device (pty, exec).</summary>
    public void Resize(int cols, int rows)
    {
        if (cols is < 1 or > 1000 || rows is < 1 or > 1000)
        {
            throw ChardevException.Invalid(cols is < 1 or > 1000 ? "cols" : "rows", $"must be between 1 and 1000, got {cols}x{rows}");
        }

        Size = (cols, rows);
        // The device takes the size of the console that types: a spy's window must not reflow the writer's screen.
        if (MayWrite)
        {
            _chardev.Resize(cols, rows);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            End("detached");
            _chardev.Detach(this);
        }

        await ValueTask.CompletedTask;
    }

    /// <summary>Called by the chardev for every output chunk; never blocks.</summary>
    internal void Enqueue(byte[] chunk)
    {
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }

            if (_queuedBytes == 0)
            {
                // A console is stalled after taking nothing for StallAfter while it had output to take; time it waited for the device does not count.
                _lastTaken = _time.GetTimestamp();
            }

            _data.Enqueue((_seq++, chunk));
            _queuedBytes += chunk.Length;
            var lost = 0L;
            while (_queuedBytes > _options.BufferBytes)
            {
                var dropped = _data.Dequeue().Data;
                _queuedBytes -= dropped.Length;
                lost += dropped.Length;
            }

            // Only the oldest bytes are ever dropped, so the gap always sits just before the head
            // of the queue; one overrun covers it however many chunks it grows by before it is read.
            _lost += lost;
            _lostUnreported += lost;
            if (lost > 0)
            {
                _chardev.CountConsoleLoss(lost);
            }

            WakeReader();
        }
    }

    /// <summary>Called by the chardev for its events; never blocks, keeps the newest when flooded.</summary>
    internal void Notify(ChardevEvent e)
    {
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }

            if (_events.Count >= MaxQueuedEvents)
            {
                _events.Dequeue();
            }

            _events.Enqueue((_seq++, e));
            WakeReader();
        }
    }

    internal void End(string reason)
    {
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            EndReason = reason;
            WakeReader();
        }
    }

    /// <summary>
    /// The oldest item that may go now: events always, then the gap before the head of the queue
    /// (an overrun), then output while the window is open. Call under the lock.
    /// </summary>
    private ConsoleChunk? TryTake()
    {
        var dataReady = _data.Count > 0 && WindowOpen();
        if (_events.Count > 0 && (!dataReady || _events.Peek().Seq < _data.Peek().Seq))
        {
            return new ConsoleChunk([], _events.Dequeue().Event);
        }

        if (_lostUnreported > 0)
        {
            var overrun = new ChardevEvent(ChardevId, ChardevEventKind.Overrun, _time.GetUtcNow()) { Bytes = _lostUnreported, Total = _lost };
            _lostUnreported = 0;
            return new ConsoleChunk([], overrun);
        }

        if (dataReady)
        {
            _lastTaken = _time.GetTimestamp();
            var data = TakeOutput();
            _queuedBytes -= data.Length;
            _sent += data.Length;
            return new ConsoleChunk(data);
        }

        return null;
    }

    /// <summary>
    /// The head chunk, joined with the chunks queued right behind it while no event sits between
    /// them and the result stays within <see cref="MaxItemBytes"/> and the open window: one stream
    /// item for many small reads. Call under the lock.
    /// </summary>
    private byte[] TakeOutput()
    {
        var head = _data.Dequeue().Data;
        var limit = _options.WindowBytes <= 0
            ? MaxItemBytes
            : Math.Min(MaxItemBytes, _options.WindowBytes - (_sent - _acknowledged));
        var nextEvent = _events.Count > 0 ? _events.Peek().Seq : long.MaxValue;
        var length = head.Length;
        var count = 0;
        foreach (var (seq, chunk) in _data)
        {
            if (seq > nextEvent || length + chunk.Length > limit)
            {
                break;
            }

            length += chunk.Length;
            count++;
        }

        if (count == 0)
        {
            return head;
        }

        var joined = GC.AllocateUninitializedArray<byte>(length);
        head.CopyTo(joined, 0);
        var at = head.Length;
        for (var i = 0; i < count; i++)
        {
            var chunk = _data.Dequeue().Data;
            chunk.CopyTo(joined, at);
            at += chunk.Length;
        }

        return joined;
    }

    private bool RoomLocked() => _queuedBytes < PaceBytes || _ended || _time.GetElapsedTime(_lastTaken) >= StallAfter;

    /// <summary>Open while the console has room; always once the stream has ended, so that what was queued is handed over before the end.</summary>
    private bool WindowOpen() => _ended || _options.WindowBytes <= 0 || _sent - _acknowledged < _options.WindowBytes;

    private void WakeReader()
    {
        var waiter = _waiter;
        _waiter = null;
        waiter?.TrySetResult();
    }
}
