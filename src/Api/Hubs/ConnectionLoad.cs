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

    public bool TryAddConsole(int max) => _consoles.TryAdd(max);

    public void RemoveConsole() => _consoles.Remove();

    public bool TryAddWatcher(int max) => _watchers.TryAdd(max);

    public void RemoveWatcher() => _watchers.Remove();
}
