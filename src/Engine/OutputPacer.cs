using System.Collections.Immutable;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine;

/// <summary>
/// Lossless while watched: whether a paced device may be read, from the consoles attached. The
/// device is read while every console has room for one more read, so consoles that keep up lose
/// nothing. Two things keep a slow console from slowing the others: one that has taken nothing
/// for <see cref="ConsoleSession.StallAfter"/> never holds the device, and one that lags while
/// another has room holds it only while its <see cref="LagBudget"/> lasts, spent only while it is
/// the furthest behind and a console that took everything waits (consoles that take turns at
/// being behind, as consoles served unevenly do, keep their budgets).
/// When no console has room the device waits for them all: it goes as fast as the fastest can take.
/// </summary>
internal sealed class OutputPacer(TimeProvider time) : IDisposable
{
    private readonly Lock _lock = new();
    private long _heldSince;
    private ConsoleSession? _charged;
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

            // One look at each console: whether it has room, whether it waits for output, and, of those that lag
            // with budget left, the one furthest behind (the only one a hold is charged to).
            bool anyRoom = false, anyStarved = false;
            ConsoleSession? slowest = null;
            var slowestQueued = -1;
            foreach (var console in attached)
            {
                var (room, starved, queued) = console.PaceState;
                anyRoom |= room;
                anyStarved |= starved;
                if (!room && queued > slowestQueued && console.Lag.Left > TimeSpan.Zero)
                {
                    slowest = console;
                    slowestQueued = queued;
                }
            }

            if (!anyRoom)
            {
                // Nobody has room: the device waits for the fastest, or until a console that takes nothing counts as stalled.
                Hold(ConsoleSession.StallAfter);
                return;
            }

            // Held while a console lags with budget left, charged only while a console that took everything waits:
            // consoles that take turns at being behind share the cost and keep their budgets, while one that is
            // always the furthest behind spends its own and is let go.
            if (slowest is null)
            {
                Gate.Set(true);
                return;
            }

            _charged = anyStarved ? slowest : null;
            _heldSince = time.GetTimestamp();
            Hold(anyStarved ? slowest.Lag.Left : ConsoleSession.StallAfter);
        }
    }

    public void Dispose()
    {
        _recheck?.Dispose();
    }

    /// <summary>The device was held for the console furthest behind since the last look: that time comes out of its budget.</summary>
    private void ChargeLagging()
    {
        _charged?.Lag.Spend(time.GetElapsedTime(_heldSince));
        _charged = null;
    }

    private void Hold(TimeSpan lookAgainAfter)
    {
        Gate.Set(false);
        _recheck ??= time.CreateTimer(_ => Update(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _recheck.Change(lookAgainAfter, Timeout.InfiniteTimeSpan);
    }
}
