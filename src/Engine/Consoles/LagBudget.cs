namespace CharWeb.Engine.Consoles;

/// <summary>
/// How long a console that lags behind the others may still hold a paced device: up to
/// <see cref="Capacity"/> at once, refilled at <see cref="RefillRate"/> of the time that passes.
/// Consoles that keep up but are served unevenly (many tabs, one busy machine) lag for moments
/// and are waited for, so none of them loses output; a console that is simply slower spends its
/// budget and then costs the device at most that share of its time, losing output instead.
/// Used only under its fan-out's gate lock.
/// </summary>
internal sealed class LagBudget(TimeProvider time)
{
    public static readonly TimeSpan Capacity = TimeSpan.FromMilliseconds(500);

    public const double RefillRate = 0.05;

    private TimeSpan _left = Capacity;
    private long _at = time.GetTimestamp();

    /// <summary>What is left now, refilled for the time since it was last looked at.</summary>
    public TimeSpan Left
    {
        get
        {
            Refill();
            return _left;
        }
    }

    /// <summary>The device was held <paramref name="held"/> for this console alone.</summary>
    public void Spend(TimeSpan held)
    {
        Refill();
        _left = held >= _left ? TimeSpan.Zero : _left - held;
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        var refill = time.GetElapsedTime(_at, now) * RefillRate;
        _at = now;
        _left = _left + refill >= Capacity ? Capacity : _left + refill;
    }
}
