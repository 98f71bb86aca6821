using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CharWeb.Api.Hubs;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Cluster;

/// <summary>
/// One browser console of a chardev that another node owns: a hub connection of this node to the owner's
/// <c>/hubs/console</c>, as the caller, attached there. Output is read from the owner only as the browser's stream
/// takes it, and the browser's acks go to the owner's window, so flow control stays the owner's, end to end; the
/// owner's events go to the browser as they come. One connection per console: it ends with the console.
/// </summary>
public sealed partial class RemoteConsole : IAsyncDisposable
{
    private const string HubFailure = "HubException: ";
    private const int MaxQueuedEvents = 256;
    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(10);

    private readonly HubConnection _owner;
    private readonly string _id;
    private readonly ILogger _logger;
    private readonly Func<Dictionary<string, object?>, Task> _onEvent;
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>The owner's output and events, in the order the owner sent them (<see cref="Pass"/>, <see cref="PumpAsync"/>).</summary>
    private readonly Channel<object> _ordered = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _moving = new();
    private readonly List<Dictionary<string, object?>> _early = [];
    private bool _pumping;
    private int _queuedEvents;
    private ChannelReader<byte[]> _output = Channel.CreateUnbounded<byte[]>().Reader;
    private Task _pump = Task.CompletedTask;
    private long _relayed;

    private RemoteConsole(HubConnection owner, string node, string id, Func<Dictionary<string, object?>, Task> onEvent, ILogger logger)
    {
        _owner = owner;
        _onEvent = onEvent;
        Node = node;
        _id = id;
        _logger = logger;
    }

    /// <summary>The node that owns the chardev.</summary>
    public string Node { get; }

    /// <summary>Output bytes relayed to the browser so far.</summary>
    public long BytesRelayed => Interlocked.Read(ref _relayed);

    /// <summary>
    /// Connects to the owner's hub at <paramref name="hub"/> with <paramref name="identity"/> (signed for that one
    /// request: with negotiation skipped, the WebSocket request is the only one) and attaches to <paramref name="id"/>; returns once the owner has taken the console (its first event or
    /// output), or throws the owner's refusal as a <see cref="HubException"/>.
    /// </summary>
    internal static async Task<RemoteConsole> AttachAsync(
        Uri hub, string node, string id, string identity, Hubs.ConsoleSettings timing, Func<Dictionary<string, object?>, Task> onEvent, ILogger logger, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(hub, HttpTransportType.WebSockets, o =>
            {
                o.SkipNegotiation = true;
                o.Headers[SignedIdentity.Header] = identity;
            })
            .AddMessagePackProtocol()
            .Build();
        // The owner's timing is this installation's: ping it as a browser must, and give it up as it gives up a browser.
        connection.KeepAliveInterval = TimeSpan.FromSeconds(timing.KeepAliveSeconds);
        connection.ServerTimeout = TimeSpan.FromSeconds(timing.ClientTimeoutSeconds);
        var console = new RemoteConsole(connection, node, id, onEvent, logger);
        connection.On<string, Dictionary<string, object?>>(ConsoleHub.EventMethod, (_, payload) =>
        {
            console.Pass(payload);
            return Task.CompletedTask;
        });
        connection.Closed += console.OnClosedAsync;
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(AttachTimeout);
        try
        {
            await connection.StartAsync(patience.Token);
            console._output = await connection.StreamAsChannelAsync<byte[]>(nameof(ConsoleHub.Attach), id, patience.Token);
            console._pump = console.PumpAsync();
            // Taken once the owner's first event or output is queued; its refusal fails the queue.
            bool began;
            try
            {
                began = await console._ordered.Reader.WaitToReadAsync(patience.Token);
            }
            catch (Exception ex) when (!patience.IsCancellationRequested)
            {
                throw new HubException(Refusal(ex));
            }

            if (!began)
            {
                throw new HubException($"node '{node}' ended the console of '{id}' as it began");
            }

            console.LogAttached(id, node);
            return console;
        }
        catch (Exception ex) when (ex is not HubException && !cancellationToken.IsCancellationRequested)
        {
            await console.DisposeAsync();
            var why = ex is OperationCanceledException ? $"no answer within {AttachTimeout.TotalSeconds:0} s" : ex.Message;
            throw new HubException($"node '{node}', which owns '{id}', does not answer: {why}");
        }
        catch
        {
            await console.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The owner's output, read only as it is taken; the owner's events are passed on after the output the owner sent
    /// before them (<see cref="Pass"/>). Ends with the reason when the owner's connection drops.
    /// </summary>
    public async IAsyncEnumerable<byte[]> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            Exception? failure = null;
            var more = false;
            try
            {
                more = await _ordered.Reader.WaitToReadAsync(cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                failure = ex;
            }

            if (failure is not null || (!more && _owner.State != HubConnectionState.Connected))
            {
                throw await EndedAsync(failure, cancellationToken);
            }

            if (!more)
            {
                yield break;
            }

            while (_ordered.Reader.TryRead(out var item))
            {
                if (item is byte[] chunk)
                {
                    Interlocked.Add(ref _relayed, chunk.Length);
                    yield return chunk;
                }
                else
                {
                    lock (_moving)
                    {
                        _queuedEvents--;
                    }

                    // The output before it has been written to the browser: SignalR asks for the next item only then.
                    await _onEvent((Dictionary<string, object?>)item);
                }
            }
        }
    }

    /// <summary>The browser's ack, for the owner's window; one for a console that is gone is dropped, as the hub drops it.</summary>
    public async Task AckAsync(long bytes)
    {
        try
        {
            // Never more than was relayed: a browser's ack cannot open the owner's window past what it was given.
            await _owner.SendAsync("Ack", _id, Math.Min(bytes, BytesRelayed));
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
        {
            LogAckDropped(_id, Node, ex.Message);
        }
    }

    public Task<int> WriteAsync(byte[] data, CancellationToken cancellationToken) =>
        CallAsync(() => _owner.InvokeAsync<int>(nameof(ConsoleHub.Write), _id, data, cancellationToken));

    public Task ResizeAsync(int cols, int rows, CancellationToken cancellationToken) =>
        CallAsync(() => _owner.InvokeAsync(nameof(ConsoleHub.Resize), _id, cols, rows, cancellationToken));

    public Task SendBreakAsync(CancellationToken cancellationToken) =>
        CallAsync(() => _owner.InvokeAsync(nameof(ConsoleHub.SendBreak), _id, cancellationToken));

    public Task TakeWriterAsync(CancellationToken cancellationToken) =>
        CallAsync(() => _owner.InvokeAsync(nameof(ConsoleHub.TakeWriter), _id, cancellationToken));

    public Task ReleaseWriterAsync(CancellationToken cancellationToken) =>
        CallAsync(() => _owner.InvokeAsync(nameof(ConsoleHub.ReleaseWriter), _id, cancellationToken));

    public async ValueTask DisposeAsync()
    {
        _owner.Closed -= OnClosedAsync;
        await _owner.DisposeAsync();
        await _pump;
    }

    /// <summary>
    /// An event of the owner's. The client files every stream item in <see cref="_output"/> as it reads it, and queues an
    /// event for its handlers only after the items read before it, so moving what <see cref="_output"/> holds first,
    /// under the lock the pump moves under, puts the event after all the output the owner sent before it: an event is
    /// never early. The client runs handlers on a task of its own, so output sent just after an event may be moved
    /// with that before it: an event can come a little late (exact order would need the events inside the stream).
    /// </summary>
    private void Pass(Dictionary<string, object?> payload)
    {
        lock (_moving)
        {
            if (!_pumping)
            {
                // Before the stream's channel is known: held until the pump starts, and passed on after what it holds then.
                _early.Add(payload);
                return;
            }

            MoveOutput();
            if (_queuedEvents >= MaxQueuedEvents)
            {
                // A browser that reads nothing gets no more events queued for it (as a local console keeps at most so many).
                return;
            }

            if (_ordered.Writer.TryWrite(payload))
            {
                _queuedEvents++;
                return;
            }
        }

        // The owner's stream has ended (the pump completed the queue): the last events, such as 'removed', still go.
        _ = _onEvent(payload);
    }

    /// <summary>Moves output as it comes, and the stream's end (or failure) after the last of it.</summary>
    private async Task PumpAsync()
    {
        lock (_moving)
        {
            MoveOutput();
            foreach (var payload in _early)
            {
                _ordered.Writer.TryWrite(payload);
                _queuedEvents++;
            }

            _early.Clear();
            _pumping = true;
        }

        Exception? failure = null;
        try
        {
            while (await _output.WaitToReadAsync())
            {
                lock (_moving)
                {
                    MoveOutput();
                }
            }
        }
        catch (Exception ex)
        {
            // Whatever ended the owner's stream is the reader's to tell (a refusal or the owner's loss, EndedAsync):
            // left uncompleted, the browser's console would wait for ever.
            failure = ex;
        }

        lock (_moving)
        {
            MoveOutput();
            _ordered.Writer.TryComplete(failure);
        }
    }

    private void MoveOutput()
    {
        while (_output.TryRead(out var chunk))
        {
            _ordered.Writer.TryWrite(chunk);
        }
    }

    /// <summary>What the owner refused, without the words SignalR's client puts around it.</summary>
    private static string Refusal(Exception ex) =>
        ex.Message.IndexOf(HubFailure, StringComparison.Ordinal) is var at and >= 0 ? ex.Message[(at + HubFailure.Length)..] : ex.Message;

    private async Task CallAsync(Func<Task> call) => await CallAsync(async () =>
    {
        await call();
        return 0;
    });

    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (HubException ex)
        {
            throw new HubException(Refusal(ex));
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException || (ex is OperationCanceledException && _owner.State != HubConnectionState.Connected))
        {
            throw new HubException($"the console of '{_id}' is not connected to node '{Node}', which owns it: {ex.Message}");
        }
    }

    private async Task<Exception> EndedAsync(Exception? failure, CancellationToken cancellationToken)
    {
        if (failure is HubException refused)
        {
            return new HubException(Refusal(refused));
        }

        // The stream fails as the connection closes; the connection's own reason follows at once.
        string reason;
        try
        {
            reason = await _closed.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (TimeoutException)
        {
            reason = failure?.Message ?? "the connection closed";
        }

        LogOwnerLost(_id, Node, reason);
        var ended = $"the console of '{_id}' ended: node '{Node}', which owns it, stopped answering ({reason}); attach again once it is back";

        // Told as an event too, so a page knows to attach again when the owner is back rather than give up.
        try
        {
            await _onEvent(new Dictionary<string, object?> { ["kind"] = "unreachable", ["time"] = DateTimeOffset.UtcNow.ToString("O"), ["state"] = "unreachable", ["node"] = Node, ["reason"] = ended });
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The browser went too: the stream's end below finds nobody either.
        }

        return new HubException(ended);
    }

    private Task OnClosedAsync(Exception? error)
    {
        _closed.TrySetResult(error?.Message ?? "it closed the connection");
        return Task.CompletedTask;
    }
}
