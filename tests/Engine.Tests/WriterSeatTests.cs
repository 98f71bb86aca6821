using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests;

/// <summary>conserver's one writer per console: first console types, the others spy, the seat moves on force and on leave.</summary>
public sealed class WriterSeatTests
{
    [Fact]
    public async Task TheFirstConsoleThatMayWriteHoldsTheSeatAndASpyCannotType()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var watcher = chardev.Attach(new ConsoleOptions { User = "vera", ReadOnly = true });
        await using var first = chardev.Attach(new ConsoleOptions { User = "alice" });
        await using var second = chardev.Attach(new ConsoleOptions { User = "bob" });

        Assert.Equal("alice", chardev.Writer);
        Assert.Equal(5, await first.WriteAsync("hello"u8.ToArray(), EngineHarness.Timeout()));
        var refused = await Assert.ThrowsAsync<ChardevException>(async () => await second.WriteAsync("x"u8.ToArray(), EngineHarness.Timeout()));
        Assert.Contains("spy", refused.Message);
        Assert.Contains("'alice'", refused.Message);
        Assert.Equal(5, chardev.Stats.InputBytes);

        var seat = await NextWriterEventAsync(second);
        Assert.Equal(("alice", false), (seat.Name, seat.Self));
    }

    [Fact]
    public async Task TakingTheSeatMovesItAndEveryConsoleIsToldWhetherItIsItself()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var first = chardev.Attach(new ConsoleOptions { User = "alice" });
        await using var second = chardev.Attach(new ConsoleOptions { User = "bob" });
        await NextWriterEventAsync(first);
        await NextWriterEventAsync(second);

        chardev.TakeWriter(second);

        Assert.Equal("bob", chardev.Writer);
        Assert.Equal(("bob", false), Pair(await NextWriterEventAsync(first)));
        Assert.Equal(("bob", true), Pair(await NextWriterEventAsync(second)));
        Assert.Equal(1, await second.WriteAsync("y"u8.ToArray(), EngineHarness.Timeout()));
        await Assert.ThrowsAsync<ChardevException>(async () => await first.WriteAsync("x"u8.ToArray(), EngineHarness.Timeout()));
    }

    [Fact]
    public async Task WhenTheHolderLeavesTheSeatPassesToTheLongestAttachedConsoleThatMayWrite()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        var first = chardev.Attach(new ConsoleOptions { User = "alice" });
        await using var reader = chardev.Attach(new ConsoleOptions { User = "vera", ReadOnly = true });
        await using var second = chardev.Attach(new ConsoleOptions { User = "bob" });
        await using var third = chardev.Attach(new ConsoleOptions { User = "carol" });

        await first.DisposeAsync();

        Assert.Equal("bob", chardev.Writer);
        chardev.ReleaseWriter(second);
        Assert.Equal("carol", chardev.Writer);
        chardev.ReleaseWriter(third);
        Assert.Equal("bob", chardev.Writer);
        Assert.Throws<ChardevException>(() => chardev.TakeWriter(reader));
        Assert.Equal("bob", chardev.Writer);
    }

    [Fact]
    public async Task WritersAllLetsEveryConsoleThatMayWriteTypeAndHasNoSeat()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.Registry.CreateAsync(new ChardevDefinition { Id = "dev", Backend = new TestdevBackendOptions(), Writers = WriterPolicy.All }, EngineHarness.Timeout());
        await using var first = chardev.Attach(new ConsoleOptions { User = "alice" });
        await using var second = chardev.Attach(new ConsoleOptions { User = "bob" });
        await using var reader = chardev.Attach(new ConsoleOptions { User = "vera", ReadOnly = true });

        Assert.Null(chardev.Writer);
        Assert.Equal(1, await first.WriteAsync("a"u8.ToArray(), EngineHarness.Timeout()));
        Assert.Equal(1, await second.WriteAsync("b"u8.ToArray(), EngineHarness.Timeout()));
        await Assert.ThrowsAsync<ChardevException>(async () => await reader.WriteAsync("c"u8.ToArray(), EngineHarness.Timeout()));
        Assert.Throws<ChardevException>(() => chardev.TakeWriter(second));
    }

    [Fact]
    public async Task MayWriteFollowsTheSeat()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var first = chardev.Attach(new ConsoleOptions { User = "alice" });
        await using var second = chardev.Attach(new ConsoleOptions { User = "bob" });

        Assert.True(first.MayWrite);
        Assert.False(second.MayWrite);
        chardev.TakeWriter(second);
        Assert.False(first.MayWrite);
        Assert.True(second.MayWrite);
    }

    private static (string? Name, bool? Self) Pair(ChardevEvent e) => (e.Name, e.Self);

    private static async Task<ChardevEvent> NextWriterEventAsync(ConsoleSession console)
    {
        while (await console.ReadAsync(EngineHarness.Timeout()) is { } item)
        {
            if (item.Event is { Kind: ChardevEventKind.Writer } e)
            {
                return e;
            }
        }

        throw new InvalidOperationException("the console ended before a writer event");
    }
}
