using System.Collections.Concurrent;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task ConsolesJoiningAndLeavingAreEventsWithTheCount()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new NullBackendOptions());
        var events = new ConcurrentQueue<ChardevEvent>();
        engine.Registry.EventRaised += events.Enqueue;

        var first = chardev.Attach(new ConsoleOptions());
        var second = chardev.Attach(new ConsoleOptions());
        await first.DisposeAsync();

        Assert.Equal([1, 2, 1], events.Where(e => e.Kind == ChardevEventKind.Consoles).Select(e => e.Consoles!.Value));
        Assert.Single(chardev.Consoles);
        await second.DisposeAsync();
        Assert.Empty(chardev.Consoles);
    }

    [Fact]
    public async Task RemovingEndsEveryConsoleStreamAndRaisesRemoved()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        var console = chardev.Attach(new ConsoleOptions());
        var removed = new TaskCompletionSource<ChardevEvent>();
        engine.Registry.EventRaised += e =>
        {
            if (e.Kind == ChardevEventKind.Removed)
            {
                removed.TrySetResult(e);
            }
        };
        var reading = console.ReadDataAsync(EngineHarness.Timeout()).AsTask();

        await engine.Registry.RemoveAsync("dev", EngineHarness.Timeout());

        Assert.Null(await reading.WaitAsync(EngineHarness.Timeout()));
        Assert.Equal("removed", console.EndReason);
        Assert.Equal("dev", (await removed.Task.WaitAsync(EngineHarness.Timeout())).ChardevId);
        Assert.False(engine.Registry.TryGet("dev", out _));
        Assert.Equal(ChardevErrorKind.NotFound, Assert.Throws<ChardevException>(() => engine.Registry.Get("dev")).Kind);
    }

    [Fact]
    public async Task DuplicateIdIsAConflictAndTheFirstStaysUntouched()
    {
        await using var engine = await EngineHarness.StartAsync();
        var first = await engine.CreateAsync("dev", new RingbufBackendOptions { Size = 16 });

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("dev", new NullBackendOptions()));

        Assert.Equal(ChardevErrorKind.Conflict, error.Kind);
        Assert.Same(first, engine.Registry.Get("dev"));
        Assert.IsType<RingbufBackendOptions>(first.Definition.Backend);
    }

    [Fact]
    public async Task HotSwapKeepsConsolesAttachedAndRaisesChanged()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new NullBackendOptions());
        await using var console = chardev.Attach(new ConsoleOptions());
        var kinds = new ConcurrentQueue<ChardevEventKind>();
        chardev.EventRaised += e => kinds.Enqueue(e.Kind);

        await engine.Registry.ChangeBackendAsync("dev", new TestdevBackendOptions(), EngineHarness.Timeout());
        await chardev.WriteAsync("after swap"u8.ToArray(), EngineHarness.Timeout());

        Assert.Contains(ChardevEventKind.Changed, kinds);
        Assert.Equal("testdev", chardev.Filename);
        Assert.Equal("after swap"u8.ToArray(), (await console.ReadDataAsync(EngineHarness.Timeout()))!);
    }

    [Fact]
    public async Task FailedHotSwapLeavesTheOldBackendWorking()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("rb", new RingbufBackendOptions { Size = 16 });

        var error = await Assert.ThrowsAsync<ChardevException>(() =>
            engine.Registry.ChangeBackendAsync("rb", new FileBackendOptions { Path = "missing/folder/out.txt" }, EngineHarness.Timeout()));
        await chardev.WriteAsync("still"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal(ChardevErrorKind.OpenFailed, error.Kind);
        Assert.Contains("No such file or directory", error.Message);
        Assert.IsType<RingbufBackendOptions>(chardev.Definition.Backend);
        Assert.Equal(ChardevState.Open, chardev.State);
        Assert.Equal("still"u8.ToArray(), chardev.Read(16));
    }

    [Fact]
    public async Task BreakIsAnEvent()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        var breaks = 0;
        chardev.EventRaised += e => breaks += e.Kind == ChardevEventKind.Break ? 1 : 0;

        await chardev.SendBreakAsync(EngineHarness.Timeout());

        Assert.Equal(1, breaks);
    }

    [Fact]
    public async Task ValidationReportsEveryErrorAtOnce()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.CreateAsync(
            new ChardevDefinition { Id = "9bad", History = -1, Logfile = "../../etc/passwd", Backend = new RingbufBackendOptions { Size = 3 } },
            EngineHarness.Timeout()));

        Assert.Equal(["backend.size", "history", "id", "logfile"], error.Errors.Select(e => e.Field).Order());
        Assert.Contains("outside the allowed folders", error.Errors.Single(e => e.Field == "logfile").Message);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("vm1-serial")]
    [InlineData("Z.9_x-y")]
    public void QemuIdsAreAccepted(string id)
    {
        var errors = new List<FieldError>();
        ChardevValidator.ValidateId(id, errors);
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("-abc")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("é")]
    public void NonQemuIdsAreRefused(string id)
    {
        var errors = new List<FieldError>();
        ChardevValidator.ValidateId(id, errors);
        Assert.Equal("id", Assert.Single(errors).Field);
    }

    [Fact]
    public void IdOfMoreThan128CharactersIsRefused()
    {
        var errors = new List<FieldError>();
        ChardevValidator.ValidateId("a" + new string('b', 128), errors);
        Assert.Contains("at most 128", Assert.Single(errors).Message);

        errors.Clear();
        ChardevValidator.ValidateId("a" + new string('b', 127), errors);
        Assert.Empty(errors);
    }
}
