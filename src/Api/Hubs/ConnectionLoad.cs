namespace CharWeb.Api.Hubs;

/// <summary>What one hub connection runs at once (consoles, list watchers), kept in the connection's <c>Items</c>.</summary>
internal sealed class ConnectionLoad
{
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

    public bool TryAddConsole(int max) => _consoles.TryAdd(max);

    public void RemoveConsole() => _consoles.Remove();

    public bool TryAddWatcher(int max) => _watchers.TryAdd(max);

    public void RemoveWatcher() => _watchers.Remove();
}
