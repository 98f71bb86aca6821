using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;
using Microsoft.Data.Sqlite;

namespace CharWeb.Engine.Tests;

/// <summary>Ids, claims, buffers and limits: every refusal names its rule, and nothing is left half-made.</summary>
public sealed class ClaimLedgerTests
{
    [Fact]
    public async Task OneChardevOverMaxChardevsIsALimitAndNothingIsStored()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir, limits: new ChardevLimits { MaxChardevs = 2 }))
        {
            await engine.CreateAsync("a", new NullBackendOptions());
            await engine.CreateAsync("b", new NullBackendOptions());

            var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("c", new NullBackendOptions()));

            Assert.Equal(ChardevErrorKind.Limit, error.Kind);
            Assert.Equal("id", Assert.Single(error.Errors).Field);
            Assert.Contains("at most 2 chardevs (CharWeb:Limits:MaxChardevs)", error.Message);
            Assert.Equal(["a", "b"], engine.Registry.All.Select(c => c.Id));

            await engine.Registry.RemoveAsync("a", EngineHarness.Timeout());
            await engine.CreateAsync("c", new NullBackendOptions());
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir);
        Assert.Equal(["b", "c"], restarted.Registry.All.Select(c => c.Id));
    }

    [Fact]
    public async Task RingbufsAndHistoriesTogetherStayUnderMaxBufferBytes()
    {
        await using var engine = await EngineHarness.StartAsync(limits: new ChardevLimits { MaxBufferBytes = 1 << 20 });
        await engine.CreateAsync("big", new RingbufBackendOptions { Size = 512 << 10 }, history: 256 << 10);

        var ring = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("more", new RingbufBackendOptions { Size = 512 << 10 }));
        var history = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("echo", new TestdevBackendOptions(), history: 512 << 10));
        var swap = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("big", new RingbufBackendOptions { Size = 1 << 20 }, EngineHarness.Timeout()));

        Assert.Equal((ChardevErrorKind.Limit, "backend.size"), (ring.Kind, Assert.Single(ring.Errors).Field));
        Assert.Contains("over the 1048576 this server allows (CharWeb:Limits:MaxBufferBytes; 786432 in use)", ring.Message);
        Assert.Equal((ChardevErrorKind.Limit, "history"), (history.Kind, Assert.Single(history.Errors).Field));
        Assert.Equal((ChardevErrorKind.Limit, "size"), (swap.Kind, Assert.Single(swap.Errors).Field));
        Assert.Equal(512 << 10, ((RingbufBackendOptions)engine.Registry.Get("big").Definition.Backend!).Size);
        Assert.Single(engine.Registry.All);

        // A smaller ring frees room; removing frees the rest.
        await engine.Registry.ChangeBackendAsync("big", new RingbufBackendOptions { Size = 4096 }, EngineHarness.Timeout());
        await engine.CreateAsync("more", new RingbufBackendOptions { Size = 512 << 10 });
        await engine.Registry.RemoveAsync("big", EngineHarness.Timeout());
        await engine.CreateAsync("echo", new TestdevBackendOptions(), history: 512 << 10);
    }

    [Fact]
    public async Task AStoredChardevOverTodaysLimitComesBackFailedHoldingNoBuffer()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            await engine.CreateAsync("a", new RingbufBackendOptions { Size = 1 << 20 });
            await engine.CreateAsync("b", new RingbufBackendOptions { Size = 1 << 20 });
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir, limits: new ChardevLimits { MaxBufferBytes = 1 << 20 });

        Assert.Equal(ChardevState.Open, restarted.Registry.Get("a").State);
        var b = restarted.Registry.Get("b");
        Assert.Equal(ChardevState.Failed, b.State);
        Assert.Contains("backend.size: would bring the buffers of all chardevs to 2097152 bytes", b.LastError);
        Assert.False(b.IsConsumable);
        // Removing the refused one frees its id, and nothing of a's.
        await restarted.Registry.RemoveAsync("b", EngineHarness.Timeout());
        await Assert.ThrowsAsync<ChardevException>(() => restarted.CreateAsync("c", new RingbufBackendOptions { Size = 1024 }));
    }

    [Fact]
    public async Task ConsolesOverMaxConsolesPerChardevAreRefused()
    {
        await using var engine = await EngineHarness.StartAsync(limits: new ChardevLimits { MaxConsolesPerChardev = 2 });
        var chardev = await engine.CreateAsync("echo", new TestdevBackendOptions());
        await using var one = chardev.Attach(new ConsoleOptions());
        await using var two = chardev.Attach(new ConsoleOptions());

        var error = Assert.Throws<ChardevException>(() => chardev.Attach(new ConsoleOptions()));

        Assert.Equal(ChardevErrorKind.Limit, error.Kind);
        Assert.Contains("has 2 consoles, the most this server allows (CharWeb:Limits:MaxConsolesPerChardev)", error.Message);
        Assert.Equal(2, chardev.Consoles.Length);
    }

    [Fact]
    public async Task OfTwoChangesOfOneChardevAtOnceOneWinsAndTheOtherIsAConflict()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("rb", new RingbufBackendOptions { Size = 16 });
        await using var database = await LockDatabaseAsync(engine);

        // The first change stops at storing its row: the database is held by someone else.
        var first = Task.Run(() => engine.Registry.ChangeBackendAsync("rb", new FileBackendOptions { Path = "out.txt" }, EngineHarness.Timeout()));
        await EngineHarness.WaitUntilAsync(() => engine.Registry.Get("rb").Filename == "file", "the first change to wait on the database");
        var second = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("rb", new RingbufBackendOptions { Size = 64 }, EngineHarness.Timeout()));
        await database.DisposeAsync();
        await first.WaitAsync(EngineHarness.Timeout());

        Assert.Equal(ChardevErrorKind.Conflict, second.Kind);
        Assert.Contains("being changed by another request", second.Message);
        Assert.Equal("out.txt", ((FileBackendOptions)engine.Registry.Get("rb").Definition.Backend!).Path);
    }

    [Fact]
    public async Task TwoChangesRacingToLinkTwoMuxesIntoACycleCannotBothWin()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("x", new TestdevBackendOptions());
        await engine.CreateAsync("y", new TestdevBackendOptions());
        await engine.CreateAsync("a", new MuxBackendOptions { Chardevs = ["x"] });
        await engine.CreateAsync("b", new MuxBackendOptions { Chardevs = ["y"] });
        await using var database = await LockDatabaseAsync(engine);

        var aTakesB = Task.Run(() => engine.Registry.ChangeBackendAsync("a", new MuxBackendOptions { Chardevs = ["b"] }, EngineHarness.Timeout()));
        await EngineHarness.WaitUntilAsync(() => engine.Registry.Get("a").Filename == "mux:b", "a's change to wait on the database");
        var bTakesA = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("b", new MuxBackendOptions { Chardevs = ["a"] }, EngineHarness.Timeout()));
        await database.DisposeAsync();
        await aTakesB.WaitAsync(EngineHarness.Timeout());

        Assert.Contains("would make chardev 'b' contain itself (b -> a -> b)", bTakesA.Message);
        Assert.Equal(["b"], ((MuxBackendOptions)engine.Registry.Get("a").Definition.Backend!).Chardevs);
        Assert.Equal(["y"], ((MuxBackendOptions)engine.Registry.Get("b").Definition.Backend!).Chardevs);
        // x is free again: a gave it up when its change was stored.
        await engine.CreateAsync("c", new MuxBackendOptions { Chardevs = ["x"] });
    }

    [Fact]
    public async Task AChildBeingTakenByAChangeCannotBeRemovedMeanwhile()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("x", new TestdevBackendOptions());
        await engine.CreateAsync("m", new MuxBackendOptions { Chardevs = ["x"] });
        await engine.CreateAsync("y", new TestdevBackendOptions());
        await using var database = await LockDatabaseAsync(engine);

        var takesY = Task.Run(() => engine.Registry.ChangeBackendAsync("m", new MuxBackendOptions { Chardevs = ["y"] }, EngineHarness.Timeout()));
        await EngineHarness.WaitUntilAsync(() => engine.Registry.Get("m").Filename == "mux:y", "m's change to wait on the database");
        var remove = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.RemoveAsync("y", EngineHarness.Timeout()));
        await database.DisposeAsync();
        await takesY.WaitAsync(EngineHarness.Timeout());

        Assert.Equal(ChardevErrorKind.Conflict, remove.Kind);
        Assert.Contains("chardev 'm' uses it", remove.Message);
        Assert.True(engine.Registry.TryGet("y", out _));
    }

    [Fact]
    public async Task AChildCannotTurnIntoAMuxWhileAHubIsTakingIt()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("x", new TestdevBackendOptions());
        await engine.CreateAsync("y", new TestdevBackendOptions());
        await engine.CreateAsync("z", new TestdevBackendOptions());
        await engine.CreateAsync("h", new HubBackendOptions { Chardevs = ["y"] });
        await using var database = await LockDatabaseAsync(engine);

        var hubTakesX = Task.Run(() => engine.Registry.ChangeBackendAsync("h", new HubBackendOptions { Chardevs = ["x"] }, EngineHarness.Timeout()));
        await EngineHarness.WaitUntilAsync(() => engine.Registry.Get("h").Filename == "hub:x", "h's change to wait on the database");
        var xBecomesMux = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("x", new MuxBackendOptions { Chardevs = ["z"] }, EngineHarness.Timeout()));
        await database.DisposeAsync();
        await hubTakesX.WaitAsync(EngineHarness.Timeout());

        Assert.Contains("chardev 'x' is a child of a hub and cannot become a hub or a mux (QEMU: multiplexers and hub devices can't be stacked); chardev 'h' stands in the way", xBecomesMux.Message);
        Assert.IsType<TestdevBackendOptions>(engine.Registry.Get("x").Definition.Backend);
        Assert.Equal(["x"], ((HubBackendOptions)engine.Registry.Get("h").Definition.Backend!).Chardevs);
    }

    [Fact]
    public async Task AHotSwapOntoItsOwnLogfileIsRefused()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("echo", new TestdevBackendOptions(), logfile: "echo.log");

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("echo", new FileBackendOptions { Path = "echo.log" }, EngineHarness.Timeout()));

        Assert.Contains("is the same file as", error.Message);
        Assert.IsType<TestdevBackendOptions>(engine.Registry.Get("echo").Definition.Backend);
    }

    [Fact]
    public void AnIdBeingRemovedStaysTakenAndCannotBeClaimedOrChangedUntilReleased()
    {
        var ledger = new ClaimLedger(new ChardevLimits());
        ledger.Take("x", [], 0, "history");
        ledger.BeginRemove("x");

        var create = Assert.Throws<ChardevException>(() => ledger.Take("x", [], 0, "history"));
        var child = Assert.Throws<ChardevException>(() => ledger.Take("m", [new BackendClaim("backend.chardevs", ChardevRegistry.ChildClaim("x"))], 0, "history"));
        var change = Assert.Throws<ChardevException>(() => ledger.BeginChange("x", [], 0, "history"));
        var again = Assert.Throws<ChardevException>(() => ledger.BeginRemove("x"));
        ledger.Release("x");
        ledger.Take("x", [], 0, "history");

        Assert.Equal(ChardevErrorKind.Conflict, create.Kind);
        Assert.Contains("no chardev is named 'x'", child.Message);
        Assert.Equal(ChardevErrorKind.NotFound, change.Kind);
        Assert.Equal(ChardevErrorKind.NotFound, again.Kind);
    }

    [Fact]
    public async Task AChardevHotSwappedIntoAMuxOfAYoungerOneComesBackWithItsChildAfterARestart()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            await engine.CreateAsync("old", new NullBackendOptions());
            engine.Time.Advance(TimeSpan.FromSeconds(1));
            await engine.CreateAsync("young", new RingbufBackendOptions { Size = 16 });
            await engine.Registry.ChangeBackendAsync("old", new MuxBackendOptions { Chardevs = ["young"] }, EngineHarness.Timeout());
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir);

        Assert.Equal(ChardevState.Open, restarted.Registry.Get("old").State);
        Assert.Equal("mux:young", restarted.Registry.Get("old").Filename);
        var busy = await Assert.ThrowsAsync<ChardevException>(() => restarted.Registry.RemoveAsync("young", EngineHarness.Timeout()));
        Assert.Equal(ChardevErrorKind.Conflict, busy.Kind);
    }

    /// <summary>Another writer holding the database: the registry's next store waits for it.</summary>
    private static async Task<SqliteConnection> LockDatabaseAsync(EngineHarness engine)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(engine.DataDir, "charweb.db"), Pooling = false }.ToString());
        await connection.OpenAsync(EngineHarness.Timeout());
        await using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN EXCLUSIVE";
        await begin.ExecuteNonQueryAsync(EngineHarness.Timeout());
        return connection;
    }
}
