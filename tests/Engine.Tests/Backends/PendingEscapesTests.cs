using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>A mux's half-typed escapes: one per writer, and never more named writers than the cap.</summary>
public sealed class PendingEscapesTests
{
    [Fact]
    public void AnEscapeBelongsToItsWriterAndIsTakenOnce()
    {
        var escapes = new PendingEscapes();

        escapes.Add(InputSource.Named("rest:ann"));

        Assert.False(escapes.Take(InputSource.Named("rest:bob")));
        Assert.False(escapes.Take(InputSource.Anonymous));
        Assert.True(escapes.Take(InputSource.Named("rest:ann")));
        Assert.False(escapes.Take(InputSource.Named("rest:ann")));
    }

    [Fact]
    public async Task ConsolesAreWritersOfTheirOwnApartFromNames()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("r", new RingbufBackendOptions());
        await using var first = chardev.Attach(new ConsoleOptions());
        await using var second = chardev.Attach(new ConsoleOptions());
        var escapes = new PendingEscapes();

        escapes.Add(InputSource.Console(first));

        Assert.False(escapes.Take(InputSource.Console(second)));
        Assert.False(escapes.Take(InputSource.Named(first.Id)));
        Assert.True(escapes.Take(InputSource.Console(first)));
    }

    [Fact]
    public void NamedWritersAreCappedAndTheOldestIsForgottenFirst()
    {
        var escapes = new PendingEscapes();

        for (var i = 0; i <= PendingEscapes.MaxNamed; i++)
        {
            escapes.Add(InputSource.Named($"rest:user{i}"));
        }

        Assert.Equal(PendingEscapes.MaxNamed, escapes.NamedCount);
        Assert.False(escapes.Take(InputSource.Named("rest:user0")));
        Assert.True(escapes.Take(InputSource.Named($"rest:user{PendingEscapes.MaxNamed}")));
        Assert.True(escapes.Take(InputSource.Named("rest:user1")));
    }
}
