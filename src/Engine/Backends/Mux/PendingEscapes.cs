using System.Runtime.CompilerServices;

namespace CharWeb.Engine.Backends;

/// <summary>
/// The writers of one mux that have typed the escape key and not yet the key after it. A console's
/// entry goes with the console (weakly held); names (REST callers) are capped at <see cref="MaxNamed"/>,
/// the oldest forgotten first, so callers with ever new names cannot grow it.
/// </summary>
internal sealed class PendingEscapes
{
    public const int MaxNamed = 64;

    private static readonly object Pending = new();

    private readonly ConditionalWeakTable<object, object> _byObject = new();
    private readonly OrderedDictionary<string, bool> _byName = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>How many named writers are waiting on their next key.</summary>
    public int NamedCount
    {
        get
        {
            lock (_lock)
            {
                return _byName.Count;
            }
        }
    }

    /// <summary>Whether <paramref name="source"/> had typed the escape key; it has not any more.</summary>
    public bool Take(InputSource source)
    {
        if (source.Key is string name)
        {
            lock (_lock)
            {
                return _byName.Remove(name);
            }
        }

        return _byObject.Remove(source.Key);
    }

    /// <summary><paramref name="source"/> ended a write on the escape key: its next key is a command.</summary>
    public void Add(InputSource source)
    {
        if (source.Key is not string name)
        {
            _byObject.AddOrUpdate(source.Key, Pending);
            return;
        }

        lock (_lock)
        {
            if (_byName.TryAdd(name, true) && _byName.Count > MaxNamed)
            {
                _byName.RemoveAt(0);
            }
        }
    }
}
