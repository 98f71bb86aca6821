using System.Collections.Immutable;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine;

/// <summary>
/// Lossless while watched: whether a paced device may be read, from the consoles attached. The
/// device is read while every console has room for one more read, so consoles that keep up lose
/// nothing. Two things keep a slow console from slowing the others: one that has taken nothing
/// for <see cref="ConsoleSession.StallAfter"/> never holds the device, and one that lags while
/// another has room holds it only while its <see cref="LagBudget"/> lasts, spent only while a
/// console that took everything waits (consoles that merely differ a little cost nobody anything).
/// When no console has room the device waits for them all: it goes as fast as the fastest can take.
/// </summary>
internal sealed class OutputPacer(TimeProvider time) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<ConsoleSession> _lagging = [];
    private long _heldSince;
    private bool _charging;
    private ITimer? _recheck;
    private bool _paced;

    /// <summary>Open while the device may be read: always unless paced and a console holds it.</summary>
    public OutputGate Gate { get; } = new();

    /// <summary>The consoles attached now; the fan-out sets them as they join and leave, then calls <see cref="Update"/>.</summary>
    public ImmutableArray<ConsoleSession> Consoles { get; set; } = [];

    public bool Paced
    {
        get => _paced;
        set
        {
            _paced = value;
            Update();
        }
    }

    /// <summary>Looks again: after output, after a console took some, when one joins or leaves, and when a hold runs out.</summary>
    public void Update()
    {
        lock (_lock)
        {
            ChargeLagging();
            var attached = Consoles;
            if (!_paced || attached.IsEmpty)
            {
                Gate.Set(true);
                return;
            }

            bool anyRoom = false, anyStarved = false;
            foreach (var console in attached)
            {
                anyRoom |= console.HasRoom;
                anyStarved |= console.IsStarved;
            }

            if (!anyRoom)
            {
                // Nobody has room: the device waits for the fastest, or until a console that takes nothing counts as stalled.
                Hold(ConsoleSession.StallAfter);
                return;
            }

            var shortest = TimeSpan.MaxValue;
            foreach (var console in attached)
            {
                if (!console.HasRoom && console.Lag.Left is var left && left > TimeSpan.Zero)
                {
                    _lagging.Add(console);
                    shortest = left < shortest ? left : shortest;
                }
            }

            if (_lagging.Count == 0)
            {
                Gate.Set(true);
                return;
            }

            // Held for the consoles that lag while another has room. What it costs is the time a console that has
            // taken everything waits: that much comes out of their budgets, so the hold never outlasts the first to run out.
            _charging = anyStarved;
            _heldSince = time.GetTimestamp();
            Hold(anyStarved ? shortest : ConsoleSession.StallAfter);
        }
    }

    public void Dispose()
    {
        _recheck?.Dispose();
    }

    /// <summary>The device was held for the lagging consoles since the last look: that time comes out of their budgets.</summary>
    private void ChargeLagging()
    {
        if (_lagging.Count == 0)
        {
            return;
        }

        var held = time.GetElapsedTime(_heldSince);
        foreach (var console in _lagging)
        {
            if (_charging)
            {
                console.Lag.Spend(held);
            }
        }

        _lagging.Clear();
    }

    private void Hold(TimeSpan lookAgainAfter)
    {
        Gate.Set(false);
        _recheck ??= time.CreateTimer(_ => Update(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _recheck.Change(lookAgainAfter, Timeout.InfiniteTimeSpan);
    }
}
