using CharWeb.Engine.Backends;

namespace CharWeb.Engine.Tests;

/// <summary>QEMU truncates a log or a file output when the chardev is created, never when a restarted server brings it back.</summary>
public sealed class RestoreKeepsFilesTests
{
    [Fact]
    public async Task ARestartReopensTheLogfileForAppend()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        var log = Path.Combine(dataDir, "logs", "echo.log");
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            var chardev = await engine.CreateAsync("echo", new TestdevBackendOptions(), logfile: "logs/echo.log");
            await chardev.WriteAsync("before the restart;"u8.ToArray(), EngineHarness.Timeout());
        }

        await using (var restarted = await EngineHarness.StartAsync(dataDir))
        {
            Assert.Equal("before the restart;", await File.ReadAllTextAsync(log, EngineHarness.Timeout()));
            await restarted.Registry.Get("echo").WriteAsync("after"u8.ToArray(), EngineHarness.Timeout());
        }

        Assert.Equal("before the restart;after", await File.ReadAllTextAsync(log, EngineHarness.Timeout()));
    }

    [Fact]
    public async Task CreatingWithoutLogappendEmptiesAnOldLog()
    {
        await using var engine = await EngineHarness.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(engine.DataDir, "old.log"), "stale", EngineHarness.Timeout());

        var chardev = await engine.CreateAsync("echo", new TestdevBackendOptions(), logfile: "old.log");
        await chardev.WriteAsync("new"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal("new", await File.ReadAllTextAsync(Path.Combine(engine.DataDir, "old.log"), EngineHarness.Timeout()));
    }

    [Fact]
    public async Task ARestartKeepsWhatAFileChardevWrote()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            var chardev = await engine.CreateAsync("f", new FileBackendOptions { Path = "out.txt" });
            await chardev.WriteAsync("one;"u8.ToArray(), EngineHarness.Timeout());
        }

        await using (var restarted = await EngineHarness.StartAsync(dataDir))
        {
            await restarted.Registry.Get("f").WriteAsync("two"u8.ToArray(), EngineHarness.Timeout());
        }

        Assert.Equal("one;two", await File.ReadAllTextAsync(Path.Combine(dataDir, "out.txt"), EngineHarness.Timeout()));
    }

    [Fact]
    public async Task AHotSwapBackToAFileAppends()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("f", new FileBackendOptions { Path = "out.txt" });
        await chardev.WriteAsync("first;"u8.ToArray(), EngineHarness.Timeout());

        await engine.Registry.ChangeBackendAsync("f", new RingbufBackendOptions { Size = 16 }, EngineHarness.Timeout());
        await engine.Registry.ChangeBackendAsync("f", new FileBackendOptions { Path = "out.txt" }, EngineHarness.Timeout());
        await chardev.WriteAsync("second"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal("first;second", await File.ReadAllTextAsync(Path.Combine(engine.DataDir, "out.txt"), EngineHarness.Timeout()));
    }
}
