using System.Net.Sockets;
using CharWeb.Engine.Backends;

namespace CharWeb.Engine.Tests;

/// <summary>Paths are opened beneath their allowed folder by the kernel, not trusted as text: links, aliases of the database, wrong kinds of file.</summary>
public sealed class PathSandboxTests
{
    [Fact]
    public async Task ALinkInsideTheDataFolderThatLeadsOutIsRefusedAndNothingIsWritten()
    {
        await using var engine = await EngineHarness.StartAsync();
        var outside = Path.Combine(Directory.CreateTempSubdirectory("charweb-outside-").FullName, "victim.txt");
        await File.WriteAllTextAsync(outside, "untouched", EngineHarness.Timeout());
        File.CreateSymbolicLink(Path.Combine(engine.DataDir, "link.txt"), outside);

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("f", new FileBackendOptions { Path = "link.txt" }));

        Assert.Equal(ChardevErrorKind.Invalid, error.Kind);
        var field = Assert.Single(error.Errors);
        Assert.Equal("backend.path", field.Field);
        Assert.Contains("is a symbolic link", field.Message);
        Assert.Equal("untouched", await File.ReadAllTextAsync(outside, EngineHarness.Timeout()));
        Assert.Empty(engine.Registry.All);
    }

    [Fact]
    public async Task ALinkedFolderOnTheWayIsRefusedForALogfile()
    {
        await using var engine = await EngineHarness.StartAsync();
        var outside = Directory.CreateTempSubdirectory("charweb-outside-").FullName;
        Directory.CreateSymbolicLink(Path.Combine(engine.DataDir, "logs"), outside);

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("echo", new TestdevBackendOptions(), logfile: "logs/echo.log"));

        Assert.Equal("logfile", Assert.Single(error.Errors).Field);
        Assert.Contains("symbolic link", error.Message);
        Assert.Empty(Directory.GetFiles(outside));
    }

    [Fact]
    public async Task ALinkOrAHardLinkToTheDatabaseIsRefused()
    {
        await using var engine = await EngineHarness.StartAsync();
        var database = Path.Combine(engine.DataDir, "charweb.db");
        var before = await File.ReadAllBytesAsync(database, EngineHarness.Timeout());
        File.CreateSymbolicLink(Path.Combine(engine.DataDir, "soft.db"), database);
        Assert.Equal(0, Link(database, Path.Combine(engine.DataDir, "hard.db")));

        var soft = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("a", new FileBackendOptions { Path = "soft.db", Append = true }));
        var hard = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("b", new FileBackendOptions { Path = "hard.db", Append = true }));
        var log = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("c", new TestdevBackendOptions(), logfile: "hard.db", logappend: true));

        Assert.Contains("symbolic link", soft.Message);
        Assert.Contains("another name for CharWeb's own database", hard.Message);
        Assert.Contains("another name for CharWeb's own database", log.Message);
        Assert.Equal(before, await File.ReadAllBytesAsync(database, EngineHarness.Timeout()));
        Assert.Empty(engine.Registry.All);
    }

    [Fact]
    public async Task AHardLinkToTheDatabaseIsRefusedBeforeAnythingIsEmptied()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("kept", new NullBackendOptions());
        var database = Path.Combine(engine.DataDir, "charweb.db");
        Assert.Equal(0, Link(database, Path.Combine(engine.DataDir, "hard.db")));
        var before = new FileInfo(database).Length;

        var log = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("a", new TestdevBackendOptions(), logfile: "hard.db"));
        var file = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("b", new FileBackendOptions { Path = "hard.db" }));
        await engine.CreateAsync("after", new NullBackendOptions());

        Assert.Contains("another name for CharWeb's own database", log.Message);
        Assert.Contains("another name for CharWeb's own database", file.Message);
        Assert.True(new FileInfo(database).Length >= before, "the database was emptied");
        Assert.Equal(["after", "kept"], engine.Registry.All.Select(c => c.Id));
    }

    [Fact]
    public async Task ACreateRefusedByItsBackendKeepsAnOldLogAndLeavesNoNewOne()
    {
        await using var engine = await EngineHarness.StartAsync();
        var old = Path.Combine(engine.DataDir, "old.log");
        await File.WriteAllTextAsync(old, "a user's log", EngineHarness.Timeout());
        await File.WriteAllTextAsync(Path.Combine(engine.DataDir, "plain"), "not a FIFO", EngineHarness.Timeout());

        await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("a", new PipeBackendOptions { Path = "plain" }, logfile: "old.log"));
        await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("b", new PipeBackendOptions { Path = "plain" }, logfile: "logs/new.log"));

        Assert.Equal("a user's log", await File.ReadAllTextAsync(old, EngineHarness.Timeout()));
        Assert.False(File.Exists(Path.Combine(engine.DataDir, "logs", "new.log")));
        Assert.Empty(engine.Registry.All);
    }

    [Fact]
    public async Task AFifoWhereAFileIsWantedIsRefusedAtOnceNotWaitedOn()
    {
        await using var engine = await EngineHarness.StartAsync();
        Assert.Equal(0, MakeFifo(Path.Combine(engine.DataDir, "fifo")));

        // Opening a FIFO nobody has open blocks; these answer within the test's timeout or fail it.
        var log = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("a", new NullBackendOptions(), logfile: "fifo").WaitAsync(EngineHarness.Timeout(10)));
        var output = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("b", new FileBackendOptions { Path = "fifo" }).WaitAsync(EngineHarness.Timeout(10)));
        var input = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("c", new FileBackendOptions { Path = "out.txt", In = "fifo" }).WaitAsync(EngineHarness.Timeout(10)));

        Assert.Contains("is a FIFO, not a regular file", log.Message);
        Assert.Equal("backend.path", Assert.Single(output.Errors).Field);
        Assert.Contains("is a FIFO", output.Message);
        Assert.Equal("backend.in", Assert.Single(input.Errors).Field);
        Assert.Empty(engine.Registry.All);
    }

    [Fact]
    public async Task ASocketFileNameTooLongForItsFolderPathIsRefusedAndAHotSwapKeepsTheOldBackend()
    {
        // A short folder, so the whole path fits in 107 bytes and only the name is too long.
        await using var engine = await EngineHarness.StartAsync(allowedPaths: ["/tmp"]);
        var chardev = await engine.CreateAsync("s", new RingbufBackendOptions { Size = 16 });
        var name = "/tmp/" + new string('t', 85);

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("s", new SocketBackendOptions { Addr = new SocketAddressOptions { Type = "unix", Path = name } }, EngineHarness.Timeout()));

        Assert.Equal(ChardevErrorKind.Invalid, error.Kind);
        Assert.Contains("a socket's file name may have at most 80", error.Message);
        Assert.Equal("ringbuf", chardev.Filename);
        Assert.IsType<RingbufBackendOptions>(chardev.Definition.Backend);
    }

    [Fact]
    public async Task ALinkPlantedAfterCreationMakesTheChardevFailAtRestart()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            await engine.CreateAsync("f", new FileBackendOptions { Path = "out.txt" });
        }

        var outside = Path.Combine(Directory.CreateTempSubdirectory("charweb-outside-").FullName, "victim.txt");
        await File.WriteAllTextAsync(outside, "untouched", EngineHarness.Timeout());
        File.Delete(Path.Combine(dataDir, "out.txt"));
        File.CreateSymbolicLink(Path.Combine(dataDir, "out.txt"), outside);

        await using var restarted = await EngineHarness.StartAsync(dataDir);
        var chardev = restarted.Registry.Get("f");

        Assert.Equal(ChardevState.Failed, chardev.State);
        Assert.Contains("is a symbolic link", chardev.LastError);
        Assert.Equal("untouched", await File.ReadAllTextAsync(outside, EngineHarness.Timeout()));
    }

    [Fact]
    public async Task APipeOnARegularFileIsRefusedAtCreateAndFailsAtRestart()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dataDir, "s1"), "a regular file", EngineHarness.Timeout());
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("p", new PipeBackendOptions { Path = "s1" }));

            Assert.Equal(ChardevErrorKind.Invalid, error.Kind);
            Assert.Equal("backend.path", Assert.Single(error.Errors).Field);
            Assert.Contains("is a regular file, not a FIFO", error.Message);
            Assert.Empty(engine.Registry.All);

            File.Delete(Path.Combine(dataDir, "s1"));
            Assert.Equal(0, MakeFifo(Path.Combine(dataDir, "s1")));
            await engine.CreateAsync("p", new PipeBackendOptions { Path = "s1" });
        }

        // The FIFO is swapped for a regular file while the server is down.
        File.Delete(Path.Combine(dataDir, "s1"));
        await File.WriteAllTextAsync(Path.Combine(dataDir, "s1"), "a regular file", EngineHarness.Timeout());
        await using var restarted = await EngineHarness.StartAsync(dataDir);

        Assert.Equal(ChardevState.Failed, restarted.Registry.Get("p").State);
        Assert.Contains("not a FIFO", restarted.Registry.Get("p").LastError);
    }

    [Fact]
    public async Task AUnixSocketServerNeverDeletesARegularFile()
    {
        await using var engine = await EngineHarness.StartAsync();
        var path = Path.Combine(engine.DataDir, "vm.sock");
        await File.WriteAllTextAsync(path, "precious", EngineHarness.Timeout());

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("s", Unix("vm.sock")));

        Assert.Equal("backend.addr.path", Assert.Single(error.Errors).Field);
        Assert.Contains("is a regular file, not a socket", error.Message);
        Assert.Equal("precious", await File.ReadAllTextAsync(path, EngineHarness.Timeout()));
    }

    [Fact]
    public async Task AUnixSocketServerRemovesOnlyTheSocketItMade()
    {
        await using var engine = await EngineHarness.StartAsync();
        var path = Path.Combine(engine.DataDir, "vm.sock");
        await engine.CreateAsync("s", Unix("vm.sock"));
        using (var peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await peer.ConnectAsync(new UnixDomainSocketEndPoint(path), EngineHarness.Timeout());
        }

        // Someone puts a file of theirs where the socket was.
        File.Delete(path);
        await File.WriteAllTextAsync(path, "theirs", EngineHarness.Timeout());
        await engine.Registry.RemoveAsync("s", EngineHarness.Timeout());

        Assert.Equal("theirs", await File.ReadAllTextAsync(path, EngineHarness.Timeout()));
    }

    [Fact]
    public async Task AUnixSocketServerBindsBeneathTheDataFolderNotThroughALink()
    {
        await using var engine = await EngineHarness.StartAsync();
        var outside = Directory.CreateTempSubdirectory("charweb-outside-").FullName;
        Directory.CreateSymbolicLink(Path.Combine(engine.DataDir, "run"), outside);

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("s", Unix("run/vm.sock")));

        Assert.Contains("symbolic link", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
    }

    private static SocketBackendOptions Unix(string path) => new() { Addr = new SocketAddressOptions { Type = "unix", Path = path }, Server = true };

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string target, string name);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode = 0x180);
}
