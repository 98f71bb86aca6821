using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Threading.Channels;
using CharWeb.Api.Hubs;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace CharWeb.Api.Tests.Reliability;

/// <summary>
/// A MessagePack console, acknowledging as the browser does, that checks its stream while it reads it:
/// each output byte must be the source's byte at the console's offset, and an <c>overrun</c> moves the
/// offset by the bytes it says are missing. A chunk out of place, a gap not announced, or announced
/// anywhere but where it is, fails at once. It keeps only the offset, the counts, and for the tail of
/// the source (from <c>tailFrom</c>, sent once this console has caught up) a SHA-256 and what it lost.
/// </summary>
internal sealed class VerifyingConsole : IAsyncDisposable
{
    private const long AckEvery = 64 << 10;

    private readonly HubConnection _connection;
    private readonly WireOrder _wire;
    private readonly RepeatedBlock _source;
    private readonly long _total;
    private readonly long _tailFrom;
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<HubEvent> _events = Channel.CreateUnbounded<HubEvent>();
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly CancellationTokenSource _stream = new();
    private Task _reading = Task.CompletedTask;
    private long _offset;
    private long _received;
    private long _lost;
    private int _overruns;
    private long _tailLost;

    private VerifyingConsole(HubConnection connection, WireOrder wire, string name, RepeatedBlock source, long total, long tailFrom)
    {
        _tailFrom = tailFrom;
        _connection = connection;
        _wire = wire;
        _source = source;
        _total = total;
        Name = name;
        connection.On<string, Dictionary<string, object?>>(ConsoleHub.EventMethod, OnEvent);
    }

    public string Name { get; }

    /// <summary>The source offset of the next byte this console expects.</summary>
    public long Offset => Interlocked.Read(ref _offset);

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Bytes the overrun events said are missing, summed.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    public int Overruns => Volatile.Read(ref _overruns);

    /// <summary>Completes once the console has accounted for every source byte; faults at the first wrong one.</summary>
    public Task Completion => _reading;

    /// <summary>Completes once the console has accounted for every byte before the tail.</summary>
    public Task CaughtUp => Task.WhenAny(_caughtUp.Task, _reading).Unwrap();

    /// <summary>Tail bytes the overrun events said are missing.</summary>
    public long TailLost => Interlocked.Read(ref _tailLost);

    public static async Task<VerifyingConsole> ConnectAsync(CharWebServer server, string name, RepeatedBlock source, long total, long tailFrom)
    {
        var wire = new WireOrder();
        var builder = new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, "hubs/console"));
        builder.Services.AddSingleton<IHubProtocol>(wire);
        var console = new VerifyingConsole(builder.Build(), wire, name, source, total, tailFrom);
        await console._connection.StartAsync(CharWebServer.Timeout());
        return console;
    }

    /// <summary>Attaches to <paramref name="id"/>; returns once the server has counted this console.</summary>
    public async Task AttachAsync(string id)
    {
        var reader = await _connection.StreamAsChannelAsync<byte[]>("Attach", id, _stream.Token).WaitAsync(CharWebServer.Timeout());
        _reading = ReadAsync(id, reader, _stream.Token);
        await Task.WhenAny(_attached.Task, _reading).WaitAsync(CharWebServer.Timeout());
        if (_reading.IsFaulted)
        {
            await _reading;
        }
    }

    /// <summary>SHA-256 of the tail's output bytes received.</summary>
    public byte[] TailHash() => _hash.GetCurrentHash();

    public override string ToString() => $"{Name}: offset {Offset}, received {Received}, lost {Lost} in {Overruns} overruns";

    public async ValueTask DisposeAsync()
    {
        await _stream.CancelAsync();
        await _connection.DisposeAsync();
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stream.Dispose();
        _hash.Dispose();
    }

    private void OnEvent(string id, Dictionary<string, object?> payload)
    {
        var e = new HubEvent(id, payload);
        _events.Writer.TryWrite(e);
        if (e.Kind == "consoles")
        {
            _attached.TrySetResult();
        }
    }

    private async Task ReadAsync(string id, ChannelReader<byte[]> reader, CancellationToken cancellationToken)
    {
        var applied = 0L;
        var acknowledged = 0L;
        while (_offset < _total)
        {
            if (!await reader.WaitToReadAsync(cancellationToken))
            {
                Assert.Fail($"{this}: the attach stream ended before the source did ({_total} bytes)");
            }

            while (_offset < _total && reader.TryRead(out var chunk))
            {
                if (!_wire.TryTakeEventsBefore(out var before))
                {
                    Assert.Fail($"{this}: a stream item with no place on the wire");
                }

                // Every event that came before this chunk on the wire is taken first, so an overrun lands where it was sent.
                while (applied < before)
                {
                    var e = await _events.Reader.ReadAsync(cancellationToken);
                    applied++;
                    if (e.Kind == "overrun")
                    {
                        Skip(e);
                    }
                }

                Check(chunk);
                if (_offset >= _tailFrom)
                {
                    _hash.AppendData(chunk);
                }

                Advance(chunk.Length);
                var received = Interlocked.Add(ref _received, chunk.Length);
                if (received - acknowledged >= AckEvery)
                {
                    acknowledged = received;
                    await _connection.SendAsync("Ack", id, received, cancellationToken);
                }
            }
        }
    }

    private void Skip(HubEvent overrun)
    {
        var bytes = overrun.Number("bytes") ?? 0;
        Assert.True(bytes > 0, $"{this}: an overrun without a size: {overrun}");
        var lost = Interlocked.Add(ref _lost, bytes);
        Interlocked.Increment(ref _overruns);
        Assert.True(overrun.Number("total") == lost, $"{this}: an overrun whose total is not the sum of the gaps so far: {overrun}");
        if (_offset >= _tailFrom)
        {
            Interlocked.Add(ref _tailLost, bytes);
        }

        Advance(bytes);
    }

    private void Advance(long bytes)
    {
        if (Interlocked.Add(ref _offset, bytes) >= _tailFrom)
        {
            _caughtUp.TrySetResult();
        }
    }

    private void Check(byte[] chunk)
    {
        Assert.True(_offset + chunk.Length <= _total, $"{this}: a {chunk.Length}-byte chunk runs past the end of the source ({_total} bytes)");
        var wrong = _source.FirstDifference(_offset, chunk);
        if (wrong >= 0)
        {
            Assert.Fail($"{this}: byte {wrong} of a {chunk.Length}-byte chunk is 0x{chunk[wrong]:x2} where the source at offset {_offset + wrong} has 0x{_source[_offset + wrong]:x2}");
        }
    }
}

/// <summary>
/// A pseudo-random block repeated without end: any offset of the stream can be checked without keeping
/// the stream. A prime block length never lines up with read or write sizes, so a misplaced chunk shows.
/// </summary>
internal sealed class RepeatedBlock(int length, int seed)
{
    private readonly byte[] _block = ConsoleFanoutTests.RandomBytes(length, seed);

    public byte this[long offset] => _block[offset % _block.Length];

    /// <summary>Up to <paramref name="max"/> bytes from <paramref name="offset"/>, stopping at the end of the block.</summary>
    public ReadOnlyMemory<byte> Slice(long offset, int max)
    {
        var at = (int)(offset % _block.Length);
        return _block.AsMemory(at, Math.Min(max, _block.Length - at));
    }

    /// <summary>Where <paramref name="data"/> first differs from the stream at <paramref name="offset"/>, or -1.</summary>
    public int FirstDifference(long offset, ReadOnlySpan<byte> data)
    {
        var done = 0;
        while (done < data.Length)
        {
            var expected = Slice(offset + done, data.Length - done).Span;
            var wrong = data.Slice(done, expected.Length).CommonPrefixLength(expected);
            if (wrong < expected.Length)
            {
                return done + wrong;
            }

            done += expected.Length;
        }

        return -1;
    }

    /// <summary>SHA-256 of <paramref name="length"/> bytes of the stream from <paramref name="from"/>.</summary>
    public byte[] Hash(long from, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var offset = from; offset < from + length;)
        {
            var piece = Slice(offset, (int)Math.Min(int.MaxValue, from + length - offset)).Span;
            hash.AppendData(piece);
            offset += piece.Length;
        }

        return hash.GetCurrentHash();
    }
}

/// <summary>
/// The MessagePack hub protocol, noting for each stream item how many <c>ChardevEvent</c> calls came
/// before it on the wire. The .NET client hands events and stream items to two separate loops (the
/// browser's client does not), so this is what puts an overrun back in its place in the stream.
/// </summary>
internal sealed class WireOrder : IHubProtocol
{
    private readonly MessagePackHubProtocol _inner = new();
    private readonly ConcurrentQueue<long> _eventsBeforeItem = new();
    private long _events;

    public string Name => _inner.Name;

    public int Version => _inner.Version;

    public TransferFormat TransferFormat => _inner.TransferFormat;

    /// <summary>For the oldest stream item not yet taken: the number of events parsed before it.</summary>
    public bool TryTakeEventsBefore(out long events) => _eventsBeforeItem.TryDequeue(out events);

    // Called by the client's receive loop only, one message at a time, in wire order.
    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        if (!_inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }

        if (message is InvocationMessage { Target: ConsoleHub.EventMethod })
        {
            _events++;
        }
        else if (message is StreamItemMessage)
        {
            _eventsBeforeItem.Enqueue(_events);
        }

        return true;
    }

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => _inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => _inner.GetMessageBytes(message);

    public bool IsVersionSupported(int version) => _inner.IsVersionSupported(version);
}
