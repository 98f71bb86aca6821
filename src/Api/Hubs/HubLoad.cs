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

    /// <summary>Counts a connection of <paramref name="user"/>, or refuses it (409 <c>limit</c>) naming <c>CharWeb:Limits:MaxConnectionsPerUser</c>.</summary>
    public void Connect(string user, int max)
    {
        if (!TryConnect(user, max))
        {
            throw Limit($"{user} has {max} console connections open, the most allowed (CharWeb:Limits:MaxConnectionsPerUser)");
        }
    }

    private bool TryConnect(string user, int max)
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

    /// <summary>Counts a console, or refuses it naming <c>CharWeb:Limits:MaxConsoles</c>.</summary>
    public void AddConsole(int max)
    {
        if (!_consoles.TryAdd(max))
        {
            throw Limit($"this server has {max} consoles attached, the most it allows (CharWeb:Limits:MaxConsoles)");
        }
    }

    public void RemoveConsole() => _consoles.Remove();

    /// <summary>Counts a list watcher, or refuses it naming <c>CharWeb:Limits:MaxWatchers</c>.</summary>
    public void AddWatcher(int max)
    {
        if (!_watchers.TryAdd(max))
        {
            throw Limit($"this server runs {max} chardev-list watchers, the most it allows (CharWeb:Limits:MaxWatchers)");
        }
    }

    public void RemoveWatcher() => _watchers.Remove();

    private static Engine.ChardevException Limit(string message) =>
        new(Engine.ChardevErrorKind.Limit, message, [new Engine.FieldError("id", message)]);
}
