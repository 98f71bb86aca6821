using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using CharWeb.Engine;
using CharWeb.Engine.Consoles;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Hubs;

/// <summary>
/// <c>/hubs/console</c>: browser consoles. Each <see cref="Attach"/> stream is one console with its
/// own bounded queue and its own send loop, so a slow console only ever waits on itself.
/// Whether a console may type is the server's decision from the caller's role on the chardev; a
/// connection opened with <c>?readonly=1</c> may also choose to watch without writing. Of the
/// consoles that may type, one holds the writer seat (conserver) unless the chardev says <c>writers: all</c>.
/// </summary>
[Microsoft.AspNetCore.Authorization.Authorize(Policy = "viewer")]
public sealed partial class ConsoleHub(
    ChardevRegistry registry, IOptions<ConsoleSettings> settings, IOptions<CharWebOptions> limits, AuditLog audit, HubLoad hubLoad,
    Cluster.IClusterNodes nodes, Cluster.IClusterListing listing) : Hub
{
    private static readonly object CountedUser = new();

    public const string Path = "/hubs/console";
    public const string EventMethod = "ChardevEvent";

    private bool ReadOnlyConnection =>
        Context.GetHttpContext()?.Request.Query["readonly"].ToString() is "1" or "true";

    /// <summary>
    /// Attaches this caller as a console: history first, then live output, in order, with events in between.
    /// Whatever refuses the attach does so here, before the stream starts, so it is the invocation's error
    /// (a <see cref="HubException"/> the page shows), not a stream that failed on the server.
    /// </summary>
    public async Task<IAsyncEnumerable<byte[]>> Attach(string id, CancellationToken cancellationToken)
    {
        // Before anything is counted: a refusal here gives nothing back.
        Required(id);
        var load = ConnectionLoad.Of(Context);
        var max = limits.Value.Limits.MaxConsolesPerConnection;
        if (!load.TryAddConsole(max))
        {
            throw new HubException($"this connection has {max} consoles attached, the most allowed (CharWeb:Limits:MaxConsolesPerConnection)");
        }

        try
        {
            hubLoad.AddConsole(limits.Value.Limits.MaxConsoles);
        }
        catch (ChardevException ex)
        {
            load.RemoveConsole();
            throw new HubException(ex.Message);
        }

        ConsoleSession session;
        using var attaching = load.BeginAttach(id);
        try
        {
            if (await OwnerElsewhereAsync(id, cancellationToken) is { } node)
            {
                var remote = await AttachRemoteAsync(id, node, load, cancellationToken);
                return Relay(id, remote, load, Actor, cancellationToken);
            }

            session = await OpenAsync(id, load);
        }
        catch
        {
            load.RemoveConsole();
            hubLoad.RemoveConsole();
            throw;
        }

        var actor = Actor;
        audit.Record(actor, "attach", id, detail: session.ReadOnly ? "read-only" : "read-write");
        return Stream(id, session, load, actor, Clients.Caller, cancellationToken);
    }

    private async IAsyncEnumerable<byte[]> Stream(
        string id, ConsoleSession session, ConnectionLoad load, AuditActor actor, ISingleClientProxy caller, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await session.ReadAsync(cancellationToken) is { } item)
            {
                if (item.Event is { } e)
                {
                    await caller.SendAsync(EventMethod, id, HubWire.Event(e), cancellationToken);
                    continue;
                }

                yield return item.Data;
            }
        }
        finally
        {
            load.RemoveSession(id, session);
            load.RemoveConsole();
            hubLoad.RemoveConsole();
            await session.DisposeAsync();
            audit.Record(actor, "detach", id, session.BytesSent, detail: $"{session.BytesLost} bytes lost");
        }
    }

    /// <summary>Console input into the device; answers the bytes it accepted (0 while its side is not connected).</summary>
    public async Task<int> Write(string id, byte[] data)
    {
        Required(id);
        if (data is null)
        {
            throw new HubException("data is required");
        }

        var limit = limits.Value.MaxWriteBytes;
        if (data.Length > limit)
        {
            throw new HubException($"a write may carry at most {limit} bytes, this one has {data.Length}");
        }

        if (await AttachedRemoteAsync(id) is { } remote)
        {
            RequireOperatorRole();
            return await remote.WriteAsync(data, Context.ConnectionAborted);
        }

        Chardev chardev;
        int accepted;
        if (Session(id) is { } session)
        {
            chardev = Find(id);
            accepted = await session.WriteAsync(data, Context.ConnectionAborted);
        }
        else
        {
            await RefuseElsewhereAsync(id, "write");
            // Not attached: input as REST sends it, for callers that may operate this chardev, and as the same writer.
            chardev = RequireOperator(id);
            accepted = await chardev.WriteAsync(data, InputSource.Named("rest:" + Context.User!.UserName()), Context.ConnectionAborted);
        }

        audit.Record(Actor, "write", id, data.Length, chardev.Definition.AuditInput ? data : default, detail: accepted == data.Length ? null : $"{accepted} accepted");
        return accepted;
    }

    /// <summary>The terminal size of this console (pty and exec devices take it).</summary>
    public async Task Resize(string id, int cols, int rows)
    {
        if (await AttachedRemoteAsync(Required(id)) is { } remote)
        {
            await remote.ResizeAsync(cols, rows, Context.ConnectionAborted);
            return;
        }

        (Session(id) ?? throw new HubException($"not attached to '{id}'")).Resize(cols, rows);
    }

    /// <summary>Sends a break into the device.</summary>
    public async Task SendBreak(string id)
    {
        if (await AttachedRemoteAsync(Required(id)) is { } remote)
        {
            RequireOperatorRole();
            await remote.SendBreakAsync(Context.ConnectionAborted);
            return;
        }

        var chardev = RequireOperator(Required(id));
        if (Session(id) is { MayWrite: false })
        {
            throw new HubException($"this console does not hold the writer seat of '{id}'; take it over (TakeWriter) to send a break");
        }

        var actor = Actor;
        await chardev.SendBreakAsync(actor.InLog("console"), Context.ConnectionAborted);
        audit.Record(actor, "break", id, detail: "console");
    }

    /// <summary>conserver's force attach: this console takes the writer seat; every console hears a <c>writer</c> event.</summary>
    public async Task TakeWriter(string id)
    {
        if (await AttachedRemoteAsync(Required(id)) is { } remote)
        {
            RequireOperatorRole();
            await remote.TakeWriterAsync(Context.ConnectionAborted);
            return;
        }

        var session = Session(Required(id)) ?? throw new HubException($"not attached to '{id}'");
        RequireOperator(id).TakeWriter(session);
        audit.Record(Actor, "take-writer", id);
    }

    /// <summary>Gives the writer seat up; it passes to the longest-attached console that may type.</summary>
    public async Task ReleaseWriter(string id)
    {
        if (await AttachedRemoteAsync(Required(id)) is { } remote)
        {
            await remote.ReleaseWriterAsync(Context.ConnectionAborted);
            return;
        }

        var session = Session(Required(id)) ?? throw new HubException($"not attached to '{id}'");
        Find(id).ReleaseWriter(session);
        audit.Record(Actor, "release-writer", id);
    }

    /// <summary>
    /// Flow control: total bytes this console has rendered since it attached. Sent without waiting
    /// for an answer, so an ack for a console that is gone (a late one after detaching) is ignored.
    /// </summary>
    public Task Ack(string id, long bytes)
    {
        if (id is null)
        {
            return Task.CompletedTask;
        }

        if (ConnectionLoad.Of(Context).Remote(id) is { } remote)
        {
            return remote.AckAsync(bytes);
        }

        Session(id)?.Acknowledge(bytes);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The chardev list (in a cluster every node's, with <c>node</c>), sent again whenever a chardev is created, removed or
    /// changes state, here or in the directory, and with fresh stats.
    /// </summary>
    public async IAsyncEnumerable<List<Dictionary<string, object?>>> WatchChardevs([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var load = ConnectionLoad.Of(Context);
        var max = limits.Value.Limits.MaxWatchersPerConnection;
        if (!load.TryAddWatcher(max))
        {
            throw new HubException($"this connection runs {max} chardev-list watchers, the most allowed (CharWeb:Limits:MaxWatchersPerConnection)");
        }

        try
        {
            hubLoad.AddWatcher(limits.Value.Limits.MaxWatchers);
        }
        catch (ChardevException ex)
        {
            load.RemoveWatcher();
            throw new HubException(ex.Message);
        }

        var dirty = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void OnEvent(ChardevEvent e) => dirty.Writer.TryWrite(true);
        void OnListed() => dirty.Writer.TryWrite(true);
        registry.EventRaised += OnEvent;
        listing.Changed += OnListed;
        var interval = TimeSpan.FromMilliseconds(settings.Value.StatsIntervalMs);
        var last = "";
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var list = List();
                var json = JsonSerializer.Serialize(list);
                if (json != last)
                {
                    last = json;
                    yield return list;
                }

                using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                tick.CancelAfter(interval);
                try
                {
                    await dirty.Reader.WaitToReadAsync(tick.Token);
                    dirty.Reader.TryRead(out _);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The stats interval passed: send fresh counters if they moved.
                }
            }
        }
        finally
        {
            registry.EventRaised -= OnEvent;
            listing.Changed -= OnListed;
            load.RemoveWatcher();
            hubLoad.RemoveWatcher();
        }
    }

    /// <summary>This node's chardevs this caller may see, then the other nodes' (an id this node has is served here, as over REST).</summary>
    private List<Dictionary<string, object?>> List()
    {
        var user = Context.User!;
        var local = registry.All;
        var list = local.Select(c => (Chardev: c, Role: user.RoleOn(c))).Where(c => c.Role is not null).Select(c => HubWire.Summary(c.Chardev, c.Role, nodes.Self)).ToList();
        var others = listing.Others;
        if (others.Count == 0)
        {
            return list;
        }

        var here = local.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        list.AddRange(others.Where(c => !here.Contains(c.Id)).Select(c => (Chardev: c, Role: user.RoleOn(c.Access))).Where(c => c.Role is not null).Select(c => HubWire.Summary(c.Chardev, c.Role)));
        list.Sort((a, b) => StringComparer.Ordinal.Compare((string)a["id"]!, (string)b["id"]!));
        return list;
    }

    /// <summary>A user's connections are counted (<c>CharWeb:Limits:MaxConnectionsPerUser</c>); one over is refused before it can attach.</summary>
    public override Task OnConnectedAsync()
    {
        try
        {
            hubLoad.Connect(Context.User!.UserName(), limits.Value.Limits.MaxConnectionsPerUser);
        }
        catch (ChardevException ex)
        {
            throw new HubException(ex.Message);
        }

        Context.Items[CountedUser] = Context.User!.UserName();
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(CountedUser, out var user) && user is string name)
        {
            hubLoad.Disconnect(name);
        }

        return Task.CompletedTask;
    }

    private AuditActor Actor => AuditActors.Of(Context.User!, Context.GetHttpContext());

    private async Task<ConsoleSession> OpenAsync(string id, ConnectionLoad load)
    {
        var chardev = Find(id);
        var role = Context.User!.RoleOn(chardev) ?? throw new HubException($"no chardev is named '{id}'");
        if (load.Session(id) is not null)
        {
            throw new HubException($"this connection is already attached to '{id}'");
        }

        var http = Context.GetHttpContext();
        var remote = http?.Connection.RemoteIpAddress is { } ip ? $"{ip}:{http.Connection.RemotePort}" : Context.ConnectionId;
        ConsoleSession session;
        try
        {
            session = chardev.Attach(new ConsoleOptions
            {
                RemoteAddress = remote,
                User = Context.User!.UserName(),
                ReadOnly = ReadOnlyConnection || role < Role.Operator,
                BufferBytes = settings.Value.BufferBytes,
                WindowBytes = settings.Value.WindowBytes,
            });
        }
        catch (ChardevException ex)
        {
            throw new HubException(ex.Message);
        }

        if (!load.TryAddSession(id, session))
        {
            // Two attaches to one chardev raced on this connection: the second gives its console back.
            await session.DisposeAsync();
            throw new HubException($"this connection is already attached to '{id}'");
        }

        return session;
    }

    private static string Required(string? id) => id ?? throw new HubException("id is required");

    /// <summary>A chardev this caller may see; one it may not is "not found", as over REST.</summary>
    private Chardev Find(string id) =>
        registry.TryGet(id, out var chardev) && Context.User!.MaySee(chardev) ? chardev : throw new HubException($"no chardev is named '{id}'");

    private Chardev RequireOperator(string id)
    {
        if (ReadOnlyConnection)
        {
            throw new HubException("this console is read-only");
        }

        return Context.User!.Require(Find(id), Role.Operator);
    }

    private ConsoleSession? Session(string id) => ConnectionLoad.Of(Context).Session(id);
}
