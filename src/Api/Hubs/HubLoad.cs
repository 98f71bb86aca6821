using System.Collections.Concurrent;

namespace CharWeb.Api.Hubs;

/// <summary>
/// What the whole console hub runs at once: connections per user, consoles and list watchers in
/// all. A connection's own share is its <see cref="ConnectionLoad"/>; this bounds the sum, so many
/// connections cannot add up to what one may not have. A raw WebSocket console
/// (<c>/ws/chardevs/{id}</c>) counts as one connection with one console.
/// </summary>
public sealed class HubLoad
{
    private readonly ConcurrentDictionary<string, int> _connections = new(StringComparer.Ordinal);
    private readonly BoundedCount _consoles = new();
    private readonly BoundedCount _watchers = new();

    public bool TryConnect(string user, int max)
    {
        var admitted = false;
        // The delegates may run again on contention; the last run is the one stored.
        _connections.AddOrUpdate(
            user,
            _ =>
            {
                admitted = true;
                return 1;
            },
            (_, count) =>
            {
                admitted = count < max;
                return admitted ? count + 1 : count;
            });
        return admitted;
    }

    public void Disconnect(string user)
    {
        while (_connections.TryGetValue(user, out var count))
        {
            if (count <= 1 ? _connections.TryRemove(new KeyValuePair<string, int>(user, count)) : _connections.TryUpdate(user, count - 1, count))
            {
                return;
            }
        }
    }

    public bool TryAddConsole(int max) => _consoles.TryAdd(max);

    public void RemoveConsole() => _consoles.Remove();

    public bool TryAddWatcher(int max) => _watchers.TryAdd(max);

    public void RemoveWatcher() => _watchers.Remove();
}
