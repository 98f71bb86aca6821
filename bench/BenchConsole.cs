using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CharWeb.Bench;

/// <summary>
/// A console as the browser runs one, over MessagePack: it reads the attach stream, acknowledges what
/// it has "rendered" (or never, to play a stalled console), and counts bytes received and lost.
/// </summary>
public sealed class BenchConsole : IBenchConsole
{
    private const long AckEvery = 64 << 10;

    private readonly HubConnection _connection;
    private readonly bool _acknowledges;
    private readonly CancellationTokenSource _stream = new();
    private readonly Channel<bool> _progress = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<Arrival> _arrivals = Channel.CreateUnbounded<Arrival>();
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reading = Task.CompletedTask;
    private long _received;
    private long _lost;
    private long _firstAt;
    private long _lastAt;

    private BenchConsole(HubConnection connection, bool acknowledges)
    {
        _connection = connection;
        _acknowledges = acknowledges;
        connection.On<string, Dictionary<string, object?>>("ChardevEvent", OnEvent);
    }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Bytes the server says this console lost (the <c>total</c> of its last <c>overrun</c>).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Stopwatch timestamp of the last byte received.</summary>
    public long LastAt => Interlocked.Read(ref _lastAt);

    public long FirstAt => Interlocked.Read(ref _firstAt);

    public bool Acknowledges => _acknowledges;

    /// <summary>Output arrivals, kept only for latency runs that read them (and of those only the chunks they asked for).</summary>
    public ChannelReader<Arrival> Arrivals => _arrivals.Reader;

    public static async Task<BenchConsole> ConnectAsync(CharWebProcess server, bool acknowledges, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/console"))
            .AddMessagePackProtocol()
            .Build();
        var console = new BenchConsole(connection, acknowledges);
        await connection.StartAsync(cancellationToken);
        return console;
    }

    /// <summary>Attaches and returns once the server counts this console (its first <c>consoles</c> event).</summary>
    public Task AttachAsync(string id, bool keepArrivals, CancellationToken cancellationToken) =>
        AttachAsync(id, keepArrivals ? _ => true : null, cancellationToken);

    /// <summary>Attaches, keeping in <see cref="Arrivals"/> only the chunks <paramref name="keep"/> accepts (a flood's chunks would fill memory).</summary>
    public async Task AttachAsync(string id, Predicate<byte[]>? keep, CancellationToken cancellationToken)
    {
        var reader = await _connection.StreamAsChannelAsync<byte[]>("Attach", id, _stream.Token).WaitAsync(cancellationToken);
        _reading = ReadAsync(id, reader, keep, _stream.Token);
        await _attached.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Console input into the device, without waiting for the hub's answer.</summary>
    public Task WriteAsync(string id, byte[] data, CancellationToken cancellationToken) =>
        _connection.SendAsync("Write", id, data, cancellationToken);

    /// <summary>
    /// Waits until received plus lost reaches <paramref name="total"/>; false if nothing moved for
    /// <paramref name="idle"/> (the caller reports what arrived).
    /// </summary>
    public async Task<bool> WaitForAsync(long total, TimeSpan idle, CancellationToken cancellationToken)
    {
        while (Received + Lost < total)
        {
            if (_reading.IsCompleted)
            {
                await _reading;
                return false;
            }

            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(idle);
            try
            {
                await _progress.Reader.WaitToReadAsync(quiet.Token);
                _progress.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.CancelAsync();
        await _connection.DisposeAsync();
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stream.Dispose();
    }

    private void OnEvent(string id, Dictionary<string, object?> payload)
    {
        var kind = Convert.ToString(payload.GetValueOrDefault("kind"), CultureInfo.InvariantCulture);
        if (kind == "consoles")
        {
            _attached.TrySetResult();
        }
        else if (kind == "overrun" && payload.GetValueOrDefault("total") is { } total)
        {
            Interlocked.Exchange(ref _lost, Convert.ToInt64(total, CultureInfo.InvariantCulture));
            _progress.Writer.TryWrite(true);
        }
    }

    private async Task ReadAsync(string id, ChannelReader<byte[]> reader, Predicate<byte[]>? keep, CancellationToken cancellationToken)
    {
        var acknowledged = 0L;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var chunk))
                {
                    var now = Stopwatch.GetTimestamp();
                    Interlocked.CompareExchange(ref _firstAt, now, 0);
                    Interlocked.Exchange(ref _lastAt, now);
                    var total = Interlocked.Add(ref _received, chunk.Length);
                    if (keep?.Invoke(chunk) == true)
                    {
                        _arrivals.Writer.TryWrite(new Arrival(now, chunk, total));
                    }

                    if (_acknowledges && total - acknowledged >= AckEvery)
                    {
                        acknowledged = total;
                        await _connection.SendAsync("Ack", id, total, cancellationToken);
                    }

                    _progress.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Detached on purpose.
        }
        finally
        {
            _attached.TrySetException(new InvalidOperationException($"the attach stream of '{id}' ended"));
            _progress.Writer.TryWrite(true);
        }
    }
}

/// <summary>One output chunk as a console received it: when, its bytes, and the console's byte count once it had it (the chunk's end in the stream).</summary>
public readonly record struct Arrival(long Timestamp, byte[] Data, long End);
