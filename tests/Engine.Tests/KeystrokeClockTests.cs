using Microsoft.Extensions.Time.Testing;

namespace CharWeb.Engine.Tests;

/// <summary>The keystroke round trip as the engine times it: a write to the first output after it, one at a time, never a stale one.</summary>
public sealed class KeystrokeClockTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<TimeSpan> _samples = [];

    [Fact]
    public void TheRoundTripIsFromTheWriteToTheFirstOutputAfterItAndLaterOutputAddsNothing()
    {
        var clock = new KeystrokeClock(_time, _samples.Add);
        var entered = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.NotEqual(0, clock.Start(entered));
        _time.Advance(TimeSpan.FromMilliseconds(5));

        clock.Output();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        clock.Output();

        Assert.Equal([TimeSpan.FromMilliseconds(7)], _samples);
    }

    [Fact]
    public void AWriteWhileAnotherIsTimedIsNotTimedSoTheEchoAnswersTheFirst()
    {
        var clock = new KeystrokeClock(_time, _samples.Add);
        var first = clock.Start(_time.GetTimestamp());
        _time.Advance(TimeSpan.FromMilliseconds(3));

        var second = clock.Start(_time.GetTimestamp());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        clock.Output();

        Assert.NotEqual(0, first);
        Assert.Equal(0, second);
        Assert.Equal([TimeSpan.FromMilliseconds(4)], _samples);
    }

    [Fact]
    public void AWriteTheDeviceDidNotTakeIsCancelledAndOutputAfterTheExpiryIsNoSample()
    {
        var clock = new KeystrokeClock(_time, _samples.Add);
        clock.Cancel(clock.Start(_time.GetTimestamp()));
        clock.Output();
        clock.Start(_time.GetTimestamp());
        _time.Advance(KeystrokeClock.Expiry + TimeSpan.FromMilliseconds(1));

        // Expired: a new write takes the clock over, and its echo is what is timed.
        var next = clock.Start(_time.GetTimestamp());
        _time.Advance(TimeSpan.FromMilliseconds(9));
        clock.Output();
        clock.Start(_time.GetTimestamp());
        _time.Advance(KeystrokeClock.Expiry + TimeSpan.FromSeconds(1));
        clock.Output();

        Assert.NotEqual(0, next);
        Assert.Equal([TimeSpan.FromMilliseconds(9)], _samples);
    }

    [Fact]
    public void WithNobodyTakingSamplesNothingIsTimed()
    {
        var clock = new KeystrokeClock(_time, null);

        Assert.False(clock.Enabled);
        Assert.Equal(0, clock.Start(_time.GetTimestamp()));
        clock.Output();
    }
}
