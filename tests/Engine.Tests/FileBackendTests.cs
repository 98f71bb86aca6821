using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests;

/// <summary>QEMU's char_file_test cases: input goes to the out file, the in file comes back as output.</summary>
public sealed class FileBackendTests
{
    [Fact]
    public async Task InputIsWrittenToPathWhichIsTruncatedWhenOpened()
    {
        await using var engine = await EngineHarness.StartAsync();
        var path = Path.Combine(engine.DataDir, "out.txt");
        await File.WriteAllTextAsync(path, "old content", EngineHarness.Timeout());

        var chardev = await engine.CreateAsync("f", new FileBackendOptions { Path = "out.txt" });
        await chardev.WriteAsync("hello "u8.ToArray(), EngineHarness.Timeout());
        await chardev.WriteAsync("world"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal("hello world", await ReadSharedAsync(path));
        Assert.Equal("file", chardev.Filename);
        Assert.Equal(new ChardevStats(0, 0, 11, 0), chardev.Stats);
    }

    [Fact]
    public async Task AppendKeepsWhatWasThere()
    {
        await using var engine = await EngineHarness.StartAsync();
        var path = Path.Combine(engine.DataDir, "out.txt");
        await File.WriteAllTextAsync(path, "kept;", EngineHarness.Timeout());

        var chardev = await engine.CreateAsync("f", new FileBackendOptions { Path = path, Append = true });
        await chardev.WriteAsync("added"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal("kept;added", await ReadSharedAsync(path));
    }

    [Fact]
    public async Task InFileIsReadOnceAsDeviceOutput()
    {
        await using var engine = await EngineHarness.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(engine.DataDir, "in.txt"), "from the in file", EngineHarness.Timeout());
        var chardev = await engine.CreateAsync("f", new FileBackendOptions { Path = "out.txt", In = "in.txt" }, history: 1024);

        await WaitUntilAsync(() => chardev.Stats.OutputBytes == 16);

        Assert.Equal("from the in file"u8.ToArray(), chardev.History());
        Assert.Equal(16, chardev.Stats.OutputDropped);
    }

    [Fact]
    public async Task MissingFolderFailsWithTheOsReasonAndLeavesNothing()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("f", new FileBackendOptions { Path = "no/such/dir/out.txt" }));

        Assert.Equal(ChardevErrorKind.OpenFailed, error.Kind);
        Assert.Contains("No such file or directory", error.Message);
        Assert.Empty(engine.Registry.All);
        await using var again = await EngineHarness.StartAsync(engine.DataDir);
        Assert.Empty(again.Registry.All);
    }

    [Fact]
    public async Task PathOutsideTheDataFolderIsRefused()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("f", new FileBackendOptions { Path = "/etc/charweb-should-not-write" }));

        Assert.Equal("backend.path", Assert.Single(error.Errors).Field);
    }

    [Fact]
    public async Task LogfileRecordsAllOutputEvenWhenDiscardedAndLogappendKeepsIt()
    {
        await using var engine = await EngineHarness.StartAsync();
        var log = Path.Combine(engine.DataDir, "dev.log");
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions(), logfile: "dev.log");
        await chardev.WriteAsync("nobody watches;"u8.ToArray(), EngineHarness.Timeout());
        await using (var console = chardev.Attach(new ConsoleOptions()))
        {
            await chardev.WriteAsync("one watches;"u8.ToArray(), EngineHarness.Timeout());
        }

        await engine.Registry.RemoveAsync("dev", EngineHarness.Timeout());
        var again = await engine.CreateAsync("dev", new TestdevBackendOptions(), logfile: "dev.log", logappend: true);
        await again.WriteAsync("appended"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal("nobody watches;one watches;appended", await ReadSharedAsync(log));
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(EngineHarness.Timeout());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var timeout = EngineHarness.Timeout();
        // The in file is read on its own task; poll its counter until it is done or the timeout fires.
        while (!condition())
        {
            await Task.Delay(5, timeout);
        }
    }
}
