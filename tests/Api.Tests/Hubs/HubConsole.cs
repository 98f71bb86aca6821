using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CharWeb.Api.Hubs;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CharWeb.Api.Tests.Hubs;

/// <summary>
/// A console as the browser runs one: a hub connection attached to a chardev that renders what it
/// receives and acknowledges it. It keeps a SHA-256 of everything received and, if asked, the bytes.
/// </summary>
internal sealed class HubConsole : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly MemoryStream? _kept;
    private readonly List<HubEvent> _events = [];
    private readonly Channel<HubEvent> _pending = Channel.CreateUnbounded<HubEvent>();
    private readonly Channel<bool> _progress = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stream = new();
    private TaskCompletionSource? _attached;
    private Task _reading = Task.CompletedTask;
    private long _received;

    private HubConsole(HubConnection connection, bool keep)
    {
        Connection = connection;
        _kept = keep ? new MemoryStream() : null;
        connection.On<string, Dictionary<string, object?>>(ConsoleHub.EventMethod, OnEvent);
    }

    public HubConnection Connection { get; }

    /// <summary>Output bytes received on the attach stream so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Every event received so far, in order.</summary>
    public IReadOnlyList<HubEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Connects to <c>/hubs/console</c> over MessagePack (or JSON), optionally read-only, optionally with a bearer token.</summary>
    public static Task<HubConsole> ConnectAsync(CharWebServer server, bool messagePack = true, bool readOnly = false, bool keep = false, string? accessToken = null) =>
        ConnectAsync(server.BaseAddress, messagePack, readOnly, keep, accessToken);

    /// <summary>Connects to the hub of the server at <paramref name="server"/> (an in-process one or a real process).</summary>
    public static async Task<HubConsole> ConnectAsync(Uri server, bool messagePack = true, bool readOnly = false, bool keep = false, string? accessToken = null)
    {
        var url = new Uri(server, readOnly ? "hubs/console?readonly=1" : "hubs/console");
        var builder = new HubConnectionBuilder().WithUrl(url, o => o.AccessTokenProvider = () => Task.FromResult(accessToken));
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        var console = new HubConsole(builder.Build(), keep);
        await console.Connection.StartAsync(CharWebServer.Timeout());
        return console;
    }

    /// <summary>
    /// Attaches to <paramref name="id"/> and starts rendering; returns once the server has counted this
    /// console (its first <c>consoles</c> event). <paramref name="ackEvery"/> null never acknowledges.
    /// </summary>
    public async Task AttachAsync(string id, long? ackEvery = 64 << 10)
    {
        _attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = await Connection.StreamAsChannelAsync<byte[]>("Attach", id, _stream.Token).WaitAsync(CharWebServer.Timeout());
        _reading = ReadAsync(id, reader, ackEvery, _attached, _stream.Token);
        await _attached.Task.WaitAsync(CharWebServer.Timeout());
    }

    /// <summary>Stops reading the attach stream (the client sends CancelInvocation); the connection stays.</summary>
    public async Task DetachAsync()
    {
        await _stream.CancelAsync();
        await _reading.WaitAsync(CharWebServer.Timeout());
    }

    /// <summary>Waits until at least <paramref name="total"/> bytes have arrived; fails if the stream ends first.</summary>
    public async Task WaitForReceivedAsync(long total, CancellationToken cancellationToken)
    {
        while (Received < total)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_reading.IsCompleted)
            {
                await _reading;
                Assert.Fail($"the attach stream ended after {Received} of {total} bytes");
            }

            await Task.WhenAny(_progress.Reader.WaitToReadAsync(cancellationToken).AsTask(), _reading);
            _progress.Reader.TryRead(out _);
        }
    }

    /// <summary>Waits until the attach stream ends and returns the error it ended with (null: it completed).</summary>
    public async Task<Exception?> WaitForEndAsync(int seconds = 30)
    {
        try
        {
            await _reading.WaitAsync(CharWebServer.Timeout(seconds));
            return null;
        }
        catch (OperationCanceledException) when (!_reading.IsCompleted)
        {
            Assert.Fail($"the attach stream did not end within {seconds} s");
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>
    /// Waits until <paramref name="text"/> (UTF-8) has arrived at or after byte <paramref name="from"/> and returns where it
    /// starts; fails with the tail of what arrived (and <paramref name="context"/>) if it does not within <paramref name="seconds"/>.
    /// Only for a console connected with <c>keep</c>; each byte is searched once, however long the wait.
    /// </summary>
    public async Task<int> WaitForTextAsync(string text, int from = 0, int seconds = 30, Func<string>? context = null)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        var timeout = CharWebServer.Timeout(seconds);
        var scanned = from;
        while (true)
        {
            // Read before the scan: once the stream has ended, this scan has seen every byte.
            var ended = _reading.IsCompleted;
            lock (_lock)
            {
                var kept = _kept ?? throw new InvalidOperationException("connect with keep: true to keep the bytes");
                var all = kept.GetBuffer().AsSpan(0, (int)kept.Length);
                if (all.Length > scanned)
                {
                    var at = all[scanned..].IndexOf(needle);
                    if (at >= 0)
                    {
                        return scanned + at;
                    }

                    scanned = Math.Max(scanned, all.Length - needle.Length + 1);
                }
            }

            if (ended || timeout.IsCancellationRequested)
            {
                var got = Bytes();
                var tail = System.Text.Encoding.UTF8.GetString(got.AsSpan(Math.Min(got.Length, Math.Max(from, got.Length - 2000))));
                Assert.Fail($"{(ended ? "the attach stream ended" : $"timed out after {seconds} s")} waiting for '{text}' from byte {from} of {got.Length}; " +
                    $"the last bytes: {tail}{(context is null ? "" : "; " + context())}");
            }

            await Task.WhenAny(_progress.Reader.WaitToReadAsync(timeout).AsTask(), _reading);
            _progress.Reader.TryRead(out _);
        }
    }

    /// <summary>The next event of <paramref name="kind"/> (that <paramref name="match"/> accepts), skipping others.</summary>
    public async Task<HubEvent> WaitForEventAsync(string kind, Func<HubEvent, bool>? match = null, int seconds = 30)
    {
        var timeout = CharWebServer.Timeout(seconds);
        while (true)
        {
            var e = await _pending.Reader.ReadAsync(timeout);
            if (e.Kind == kind && (match is null || match(e)))
            {
                return e;
            }
        }
    }

    /// <summary>SHA-256 of everything received so far.</summary>
    public byte[] Hash()
    {
        lock (_lock)
        {
            return _hash.GetCurrentHash();
        }
    }

    /// <summary>Everything received so far (only for a console connected with <c>keep</c>).</summary>
    public byte[] Bytes()
    {
        lock (_lock)
        {
            return (_kept ?? throw new InvalidOperationException("connect with keep: true to keep the bytes")).ToArray();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.CancelAsync();
        await Connection.DisposeAsync();
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stream.Dispose();
        _hash.Dispose();
        _kept?.Dispose();
    }

    /// <summary>The number of consoles the server says are attached to <paramref name="id"/>.</summary>
    public static async Task<int> CountAsync(CharWebServer server, string id) =>
        (await server.GetAsync(id))["consoles"]!.GetValue<int>();

    /// <summary><c>GET /api/chardevs/{id}/consoles</c>.</summary>
    public static async Task<JsonArray> ListAsync(CharWebServer server, string id) =>
        (await server.Http.GetFromJsonAsync<JsonArray>($"/api/chardevs/{id}/consoles", CharWebServer.Timeout()))!;

    /// <summary>Polls <paramref name="condition"/> where the server raises no event to wait on.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var timeout = CharWebServer.Timeout(seconds);
        while (!await condition())
        {
            try
            {
                await Task.Delay(20, timeout);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"timed out after {seconds} s waiting until {what}");
            }
        }
    }

    private void OnEvent(string id, Dictionary<string, object?> payload)
    {
        var e = new HubEvent(id, payload);
        lock (_lock)
        {
            _events.Add(e);
        }

        _pending.Writer.TryWrite(e);
        if (e.Kind == "consoles")
        {
            _attached?.TrySetResult();
        }
    }

    private async Task ReadAsync(string id, ChannelReader<byte[]> reader, long? ackEvery, TaskCompletionSource attached, CancellationToken cancellationToken)
    {
        var acknowledged = 0L;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var chunk))
                {
                    long total;
                    lock (_lock)
                    {
                        _hash.AppendData(chunk);
                        _kept?.Write(chunk);
                        total = _received += chunk.Length;
                    }

                    if (ackEvery is { } every && total - acknowledged >= every)
                    {
                        acknowledged = total;
                        await Connection.SendAsync("Ack", id, total, cancellationToken);
                    }

                    _progress.Writer.TryWrite(true);
                }
            }

            attached.TrySetException(new InvalidOperationException($"the attach stream of '{id}' ended"));
        }
        catch (Exception ex)
        {
            var cause = ex is ChannelClosedException { InnerException: { } inner } ? inner : ex;
            attached.TrySetException(cause);
            if (cause is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw cause;
            }
        }
        finally
        {
            _progress.Writer.TryWrite(true);
        }
    }
}

/// <summary>A <c>ChardevEvent(id, payload)</c> as a client sees it over either protocol.</summary>
internal sealed record HubEvent(string Id, Dictionary<string, object?> Payload)
{
    public string Kind => Text("kind") ?? "";

    public string? Text(string key) => Payload.GetValueOrDefault(key) switch
    {
        null => null,
        JsonElement { ValueKind: JsonValueKind.Null } => null,
        JsonElement json => json.GetString(),
        var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A flag in the payload, over either protocol.</summary>
    public bool? Flag(string key) => Payload.GetValueOrDefault(key) switch
    {
        bool b => b,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        _ => null,
    };

    /// <summary>A number in the payload: MessagePack sends the smallest integer type, JSON a JsonElement.</summary>
    public long? Number(string key) => Payload.GetValueOrDefault(key) switch
    {
        null => null,
        JsonElement { ValueKind: JsonValueKind.Null } => null,
        JsonElement json => json.GetInt64(),
        var value => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    public override string ToString() => $"{Id} {string.Join(", ", Payload.Select(p => $"{p.Key}={p.Value}"))}";
}
