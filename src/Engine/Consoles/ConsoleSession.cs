namespace CharWeb.Engine.Consoles;

/// <summary>
/// One attached console. The chardev hands it output without ever waiting; the console keeps
/// at most <see cref="ConsoleOptions.BufferBytes"/> queued, drops the oldest beyond that and
/// counts the loss, so a slow console never slows the device or the other consoles.
/// </summary>
public sealed class ConsoleSession : IAsyncDisposable
{
    private readonly Chardev _chardev;
    private readonly ConsoleOptions _options;
    private readonly Queue<byte[]> _queue = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource? _waiter;
    private int _queuedBytes;
    private long _sent;
    private long _acknowledged;
    private long _lost;
    private long _lostUnreported;
    private bool _ended;
    private int _disposed;

    internal ConsoleSession(Chardev chardev, ConsoleOptions options, DateTimeOffset since, ReadOnlySpan<byte> history)
    {
        _chardev = chardev;
        _options = options;
        Since = since;
        if (!history.IsEmpty)
        {
            // Replay only what fits; what does not fit was never promised to this console.
            var tail = history.Length > options.BufferBytes ? history[^options.BufferBytes..] : history;
            _queue.Enqueue(tail.ToArray());
            _queuedBytes = tail.Length;
        }
    }

    public string Id { get; } = Guid.NewGuid().ToString("n");

    public string ChardevId => _chardev.Id;

    public string RemoteAddress => _options.RemoteAddress;

    public bool ReadOnly => _options.ReadOnly;

    public DateTimeOffset Since { get; }

    /// <summary>Bytes handed to the reader so far.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

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

    /// <summary>Why the stream ended (chardev removed, console detached), once it has.</summary>
    public string? EndReason { get; private set; }

    /// <summary>The next output, waiting for it if need be; null once the console has ended.</summary>
    public async ValueTask<ConsoleChunk?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_queue.Count > 0 && WindowOpen())
                {
                    var data = _queue.Dequeue();
                    _queuedBytes -= data.Length;
                    _sent += data.Length;
                    var lost = _lostUnreported;
                    _lostUnreported = 0;
                    return new ConsoleChunk(data, lost);
                }

                if (_ended)
                {
                    return null;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }

            await wait.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Reads until the console ends or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<ConsoleChunk> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await ReadAsync(cancellationToken) is { } chunk)
        {
            yield return chunk;
        }
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
    public ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ReadOnly
            ? throw new ChardevException(ChardevErrorKind.Conflict, "this console is read-only", [new FieldError("data", "a read-only console cannot write")])
            : _chardev.WriteAsync(data, cancellationToken);

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

            _queue.Enqueue(chunk);
            _queuedBytes += chunk.Length;
            while (_queuedBytes > _options.BufferBytes)
            {
                var dropped = _queue.Dequeue();
                _queuedBytes -= dropped.Length;
                _lost += dropped.Length;
                _lostUnreported += dropped.Length;
            }

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

    private bool WindowOpen() => _options.WindowBytes <= 0 || _sent - _acknowledged < _options.WindowBytes;

    private void WakeReader()
    {
        var waiter = _waiter;
        _waiter = null;
        waiter?.TrySetResult();
    }
}
