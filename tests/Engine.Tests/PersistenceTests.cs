using CharWeb.Engine.Backends;

namespace CharWeb.Engine.Tests;

public sealed class PersistenceTests
{
    [Fact]
    public async Task ChardevsComeBackAfterARestartWithTheSameOptions()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        ChardevDefinition[] defined =
        [
            new() { Id = "rb", Backend = new RingbufBackendOptions { Size = 1024 }, History = 100 },
            new() { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log", Logappend = true },
            new() { Id = "out", Backend = new FileBackendOptions { Path = "out.bin", Append = true } },
        ];
        DateTimeOffset created;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            foreach (var definition in defined)
            {
                await engine.Registry.CreateAsync(definition, EngineHarness.Timeout());
            }

            created = engine.Registry.Get("rb").CreatedAt;
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir);

        Assert.Equal(defined.OrderBy(d => d.Id, StringComparer.Ordinal), restarted.Registry.All.Select(c => c.Definition));
        Assert.All(restarted.Registry.All, c => Assert.Equal(ChardevState.Open, c.State));
        Assert.Equal(created, restarted.Registry.Get("rb").CreatedAt);
    }

    [Fact]
    public async Task ChangeAndRemoveAreStored()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            await engine.CreateAsync("keep", new NullBackendOptions());
            await engine.CreateAsync("gone", new NullBackendOptions());
            await engine.Registry.ChangeBackendAsync("keep", new RingbufBackendOptions { Size = 8 }, EngineHarness.Timeout());
            await engine.Registry.RemoveAsync("gone", EngineHarness.Timeout());
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir);

        var keep = Assert.Single(restarted.Registry.All);
        Assert.Equal(new RingbufBackendOptions { Size = 8 }, keep.Definition.Backend);
    }

    [Fact]
    public async Task StoredChardevThatCannotOpenComesBackFailedAndDropsInput()
    {
        await using var restarted = await EngineHarness.StartWithDisconnectedFileAsync("f");
        var chardev = restarted.Registry.Get("f");
        var dropped = new List<ChardevEvent>();
        chardev.EventRaised += dropped.Add;

        var accepted = await chardev.WriteAsync("lost"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal(ChardevState.Failed, chardev.State);
        Assert.Contains("No such file or directory", chardev.LastError);
        Assert.Equal(0, accepted);
        Assert.Equal(4, chardev.Stats.InputDropped);
        Assert.Equal(4, Assert.Single(dropped, e => e.Kind == ChardevEventKind.InputDropped).Bytes);
    }

    [Fact]
    public async Task DeclaredChardevsWinOverStoredOnesAndAreNotStored()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            await engine.CreateAsync("demo", new NullBackendOptions());
        }

        ChardevDefinition[] declared = [new() { Id = "demo", Backend = new TestdevBackendOptions(), History = 64 }];
        await using (var restarted = await EngineHarness.StartAsync(dataDir, declared))
        {
            var demo = Assert.Single(restarted.Registry.All);
            Assert.Equal(ChardevSource.Config, demo.Source);
            Assert.IsType<TestdevBackendOptions>(demo.Definition.Backend);
        }

        await using var withoutConfig = await EngineHarness.StartAsync(dataDir);
        Assert.IsType<NullBackendOptions>(Assert.Single(withoutConfig.Registry.All).Definition.Backend);
    }
}
