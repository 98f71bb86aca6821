namespace CharWeb.Api.Hubs;

/// <summary>What one hub connection runs at once (consoles, list watchers), kept in the connection's <c>Items</c>.</summary>
internal sealed class ConnectionLoad
{
    private int _consoles;
    private int _watchers;

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

    public bool TryAddConsole(int max) => TryAdd(ref _consoles, max);

    public void RemoveConsole() => Interlocked.Decrement(ref _consoles);

    public bool TryAddWatcher(int max) => TryAdd(ref _watchers, max);

    public void RemoveWatcher() => Interlocked.Decrement(ref _watchers);

    private static bool TryAdd(ref int counter, int max)
    {
        if (Interlocked.Increment(ref counter) <= max)
        {
            return true;
        }

        Interlocked.Decrement(ref counter);
        return false;
    }
}
