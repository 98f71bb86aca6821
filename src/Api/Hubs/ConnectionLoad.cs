namespace CharWeb.Api.Hubs;

/// <summary>
/// What one hub connection runs at once, kept in the connection's <c>Items</c>: its consoles by
/// chardev id (so its later calls find them; a connection id is no Engine concept), those relayed from the
/// chardev's owner on another node, and its list watchers.
/// </summary>
internal sealed class ConnectionLoad
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Engine.Consoles.ConsoleSession> _sessions = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Cluster.RemoteConsole> _remotes = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _attaching = new(StringComparer.Ordinal);
    private readonly BoundedCount _consoles = new();
    private readonly BoundedCount _watchers = new();

    public static ConnectionLoad Of(Microsoft.AspNetCore.SignalR.HubCallerContext context)
    {
        lock (context.Items)
        {
            if (context.Items.TryGetValue(typeof(ConnectionLoad), out var load) && load is ConnectionLoad known)
            {
                return known;
            }

            var fresh = new ConnectionLoad();
            context.Items[typeof(ConnectionLoad)] = fresh;
            return fresh;
        }
    }

    public Engine.Consoles.ConsoleSession? Session(string id) => _sessions.GetValueOrDefault(id);

    /// <summary>Files the console attached to chardev <paramref name="id"/>; false when this connection already has one there.</summary>
    public bool TryAddSession(string id, Engine.Consoles.ConsoleSession session) => _sessions.TryAdd(id, session);

    public void RemoveSession(string id, Engine.Consoles.ConsoleSession session) =>
        _sessions.TryRemove(new KeyValuePair<string, Engine.Consoles.ConsoleSession>(id, session));

    /// <summary>The console relayed from another node for chardev <paramref name="id"/>, if this connection has one.</summary>
    public Cluster.RemoteConsole? Remote(string id) => _remotes.GetValueOrDefault(id);

    /// <summary>Files a relayed console; false when this connection already has one, local or relayed, there.</summary>
    public bool TryAddRemote(string id, Cluster.RemoteConsole remote) => !_sessions.ContainsKey(id) && _remotes.TryAdd(id, remote);

    public void RemoveRemote(string id, Cluster.RemoteConsole remote) =>
        _remotes.TryRemove(new KeyValuePair<string, Cluster.RemoteConsole>(id, remote));

    /// <summary>
    /// Marks an <c>Attach(id)</c> under way until the answer is disposed. SignalR runs a stream method's start beside
    /// the connection's next calls, and attaching through another node takes a round trip, so a page's first
    /// <c>Resize</c> or keys can come before the console is filed: they wait for <see cref="AttachedAsync"/>.
    /// </summary>
    public IDisposable BeginAttach(string id)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _attaching.TryAdd(id, done.Task) ? new Attaching(this, id, done) : new Attaching(null, id, done);
    }

    /// <summary>Completes once no <c>Attach(id)</c> of this connection is under way (its console filed, or refused).</summary>
    public Task AttachedAsync(string id) => _attaching.GetValueOrDefault(id) ?? Task.CompletedTask;

    public bool TryAddConsole(int max) => _consoles.TryAdd(max);

    public void RemoveConsole() => _consoles.Remove();

    public bool TryAddWatcher(int max) => _watchers.TryAdd(max);

    public void RemoveWatcher() => _watchers.Remove();

    private sealed class Attaching(ConnectionLoad? load, string id, TaskCompletionSource done) : IDisposable
    {
        public void Dispose()
        {
            load?._attaching.TryRemove(new KeyValuePair<string, Task>(id, done.Task));
            done.TrySetResult();
        }
    }
}
