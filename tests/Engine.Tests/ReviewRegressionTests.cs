using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests;

/// <summary>Races and half-states found in review; each test pins one.</summary>
public sealed class ReviewRegressionTests
{
    [Fact]
    public async Task WriteAttachAndSwapAfterRemovalSayRemovedInsteadOfFailing()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await engine.Registry.RemoveAsync("dev", EngineHarness.Timeout());

        var write = await Assert.ThrowsAsync<ChardevException>(async () => await chardev.WriteAsync("x"u8.ToArray(), EngineHarness.Timeout()));
        var attach = Assert.Throws<ChardevException>(() => chardev.Attach(new ConsoleOptions()));
        var swap = await Assert.ThrowsAsync<ChardevException>(() =>
            chardev.ChangeBackendAsync(new NullBackendOptions(), new NullBackend(), _ => Task.CompletedTask, EngineHarness.Timeout()));

        Assert.All([write, attach, swap], e => Assert.Equal(ChardevErrorKind.NotFound, e.Kind));
    }

    [Fact]
    public async Task RemovalWaitsForTheWriteInProgressAndQueuedWritesThenSayRemoved()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        var writes = Enumerable.Range(0, 50).Select(_ => chardev.WriteAsync(new byte[4096], EngineHarness.Timeout()).AsTask()).ToList();

        await engine.Registry.RemoveAsync("dev", EngineHarness.Timeout());

        foreach (var write in writes)
        {
            var outcome = await Record.ExceptionAsync(() => write.WaitAsync(EngineHarness.Timeout()));
            Assert.True(outcome is null || outcome is ChardevException { Kind: ChardevErrorKind.NotFound }, outcome?.ToString());
        }
    }

    [Fact]
    public async Task SwapWhoseCommitFailsKeepsTheOldBackendAndReleasesTheNewOne()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("rb", new RingbufBackendOptions { Size = 16 });
        var path = Path.Combine(engine.DataDir, "new.txt");

        await Assert.ThrowsAsync<TimeoutException>(() => chardev.ChangeBackendAsync(
            new FileBackendOptions { Path = "new.txt" },
            new FileBackend(path, null, append: false, new PathPolicy(engine.DataDir)),
            _ => throw new TimeoutException("database is locked"),
            EngineHarness.Timeout()));
        await chardev.WriteAsync("old"u8.ToArray(), EngineHarness.Timeout());

        Assert.IsType<RingbufBackendOptions>(chardev.Definition.Backend);
        Assert.Equal("old"u8.ToArray(), chardev.Read(16));
        Assert.DoesNotContain(path, OpenFiles());
    }

    private static IEnumerable<string?> OpenFiles() =>
        new DirectoryInfo("/proc/self/fd").GetFiles().Select(fd => fd.LinkTarget);

    [Fact]
    public async Task RemovingAConfiguredChardevFreesAStoredRowItShadowed()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            await engine.CreateAsync("x", new NullBackendOptions());
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir, [new ChardevDefinition { Id = "x", Backend = new TestdevBackendOptions() }]);
        await restarted.Registry.RemoveAsync("x", EngineHarness.Timeout());
        var again = await restarted.CreateAsync("x", new RingbufBackendOptions { Size = 4 });

        Assert.Equal(ChardevSource.Api, again.Source);
    }

    [Fact]
    public async Task AThrowingEventHandlerDoesNotUndoACreate()
    {
        await using var engine = await EngineHarness.StartAsync();
        engine.Registry.EventRaised += _ => throw new InvalidOperationException("subscriber bug");

        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await chardev.WriteAsync("ok"u8.ToArray(), EngineHarness.Timeout());

        Assert.Same(chardev, engine.Registry.Get("dev"));
        Assert.Equal(2, chardev.Stats.InputBytes);
    }

    [Fact]
    public async Task TwoChardevsCannotWriteTheSameFile()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("a", new FileBackendOptions { Path = "shared.txt" });
        await engine.CreateAsync("b", new NullBackendOptions(), logfile: "b.log");

        var create = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("c", new NullBackendOptions(), logfile: "shared.txt"));
        var swap = await Assert.ThrowsAsync<ChardevException>(() =>
            engine.Registry.ChangeBackendAsync("a", new FileBackendOptions { Path = "b.log" }, EngineHarness.Timeout()));

        Assert.Equal(ChardevErrorKind.Conflict, create.Kind);
        Assert.Contains("already used by chardev 'a'", create.Errors.Single(e => e.Field == "logfile").Message);
        Assert.Equal("path", Assert.Single(swap.Errors).Field.Split('.')[^1]);
        Assert.Equal(2, engine.Registry.All.Count);
        Assert.Equal("shared.txt", ((FileBackendOptions)engine.Registry.Get("a").Definition.Backend!).Path);
    }

    [Fact]
    public async Task AWriteThatTheDeviceFailsIsCountedAsDroppedAndReported()
    {
        await using var engine = await EngineHarness.StartAsync(allowedPaths: ["/dev"]);
        var chardev = await engine.CreateAsync("full", new FileBackendOptions { Path = "/dev/full" });
        var events = new List<ChardevEvent>();
        chardev.EventRaised += events.Add;

        var accepted = await chardev.WriteAsync("no room"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal(0, accepted);
        Assert.Equal(7, chardev.Stats.InputDropped);
        Assert.Contains("No space left on device", chardev.LastError);
        Assert.Contains(events, e => e.Kind == ChardevEventKind.Failed);
    }
}
