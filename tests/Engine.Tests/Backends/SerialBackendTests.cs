using System.Diagnostics;
using CharWeb.Engine.Backends;
using static CharWeb.Engine.Tests.Backends.SocketBackendTests;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>The serial backend on a pty pair made by <c>socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B</c>.</summary>
public sealed class SerialBackendTests
{
    [Fact]
    public async Task BytesCrossThePairBothWaysWithTheLineSettingsApplied()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using var engine = await EngineHarness.StartAsync(dataDir, devices: PtyPairs(dataDir));
        var a = Path.Combine(engine.DataDir, "ttyA");
        var b = Path.Combine(engine.DataDir, "ttyB");
        await using var pair = Socat.Start("-d", "-d", $"pty,raw,echo=0,link={a}", $"pty,raw,echo=0,link={b}");
        await WaitUntilAsync(() => File.Exists(a) && File.Exists(b));

        var chardev = await engine.CreateAsync("board", new SerialBackendOptions { Path = "ttyA", Baud = 9600, DataBits = 7, Parity = "odd", StopBits = 2 }, history: 256);
        // A Linux pty keeps these settings but forces cs8 and -parenb, so those two cannot be seen here.
        var settings = await SttyAsync(a);
        Assert.Contains("speed 9600 baud", settings);
        Assert.Contains(" parodd", settings);
        Assert.Contains(" cstopb", settings);
        Assert.Contains(" clocal", settings);
        Assert.Contains(" -crtscts", settings);
        Assert.Contains(" -icanon", settings);
        Assert.Contains(" -echo ", settings);
        Assert.Equal(ChardevState.Open, chardev.State);
        Assert.Equal(a, chardev.Filename);

        await using var board = Socat.Start("-", $"{b},raw,echo=0");
        await board.SendAsync("U-Boot 2024.01\n");
        await WaitUntilAsync(() => chardev.History().Length == 15);
        Assert.Equal(7, await chardev.WriteAsync("boot\r\n\n"u8.ToArray(), EngineHarness.Timeout()));
        await board.WaitForAsync("boot\r\n\n");
        Assert.True(await chardev.SendBreakAsync(EngineHarness.Timeout()));
        Assert.Equal("U-Boot 2024.01\n"u8.ToArray(), chardev.History());
    }

    [Fact]
    public async Task AFileThatIsNotACharacterDeviceIsRefusedWithTheReason()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using var engine = await EngineHarness.StartAsync(dataDir, devices: new DevicePolicy([Path.Combine(dataDir, "*")]));
        await File.WriteAllTextAsync(Path.Combine(engine.DataDir, "plain.txt"), "not a tty", EngineHarness.Timeout());

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("s", new SerialBackendOptions { Path = "plain.txt" }));

        Assert.Equal(ChardevErrorKind.Invalid, error.Kind);
        Assert.Equal("backend.path", Assert.Single(error.Errors).Field);
        Assert.Contains("is a regular file, not a character device", error.Message);
        Assert.Equal("not a tty", await File.ReadAllTextAsync(Path.Combine(engine.DataDir, "plain.txt"), EngineHarness.Timeout()));
    }

    [Fact]
    public async Task ACharacterDeviceThatIsNotATerminalIsRefusedWithTheOsReason()
    {
        await using var engine = await EngineHarness.StartAsync(devices: new DevicePolicy(["/dev/null"]));

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("s", new SerialBackendOptions { Path = "/dev/null" }));

        Assert.Equal(ChardevErrorKind.OpenFailed, error.Kind);
        Assert.Contains("is not a terminal device", error.Message);
    }

    [Fact]
    public async Task AnotherUsersTerminalIsNotAnAllowedDeviceByDefault()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using var pair = await PtyPairAsync(dataDir);
        var pts = new FileInfo(Path.Combine(dataDir, "ttyA")).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        await using var engine = await EngineHarness.StartAsync(dataDir);

        var direct = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("s", new SerialBackendOptions { Path = pts }));

        Assert.Equal("backend.path", Assert.Single(direct.Errors).Field);
        Assert.Contains($"'{pts}' is not an allowed device (CharWeb:Devices:Allowed: /dev/ttyS*, /dev/ttyUSB*, /dev/ttyACM*, /dev/serial/by-id/*, /dev/parport*)", direct.Message);
        Assert.Empty(engine.Registry.All);
    }

    [Fact]
    public async Task AnAllowedNameThatLeadsToADeviceOutsideTheListIsRefused()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using var pair = await PtyPairAsync(dataDir);
        // The link's name is allowed; the pty it leads to is not.
        await using var engine = await EngineHarness.StartAsync(dataDir, devices: new DevicePolicy([Path.Combine(dataDir, "tty*")]));

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("s", new SerialBackendOptions { Path = "ttyA" }));

        Assert.Contains("leads to /dev/pts/", error.Message);
        Assert.Contains("is not an allowed device", error.Message);
    }

    [Fact]
    public async Task AStoredSerialChardevThatTodaysListRefusesComesBackFailedAndUnopened()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using var pair = await PtyPairAsync(dataDir);
        await using (var engine = await EngineHarness.StartAsync(dataDir, devices: PtyPairs(dataDir)))
        {
            await engine.CreateAsync("board", new SerialBackendOptions { Path = "ttyA" });
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir);
        var board = restarted.Registry.Get("board");

        Assert.Equal(ChardevState.Failed, board.State);
        Assert.Contains("backend.path", board.LastError);
        Assert.Contains("is not an allowed device (CharWeb:Devices:Allowed", board.LastError);
        Assert.Equal("refused", board.Filename);
        Assert.Equal(0, await board.WriteAsync("x"u8.ToArray(), EngineHarness.Timeout()));
    }

    /// <summary>A socat pty pair linked as ttyA and ttyB in <paramref name="dataDir"/>.</summary>
    private static async Task<Socat> PtyPairAsync(string dataDir)
    {
        var a = Path.Combine(dataDir, "ttyA");
        var pair = Socat.Start("-d", "-d", $"pty,raw,echo=0,link={a}", $"pty,raw,echo=0,link={Path.Combine(dataDir, "ttyB")}");
        await WaitUntilAsync(() => File.Exists(a));
        return pair;
    }

    /// <summary>socat's pty pairs: the links it makes in the data folder and the ptys they lead to.</summary>
    private static DevicePolicy PtyPairs(string dataDir) => new([Path.Combine(dataDir, "tty*"), "/dev/pts/*"]);

    [Fact]
    public async Task BadLineSettingsAreAllReportedAtOnce()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() =>
            engine.CreateAsync("s", new SerialBackendOptions { Path = "/dev/ttyS0", Baud = 12345, DataBits = 9, Parity = "mark", StopBits = 3 }));

        Assert.Equal(["backend.baud", "backend.dataBits", "backend.parity", "backend.stopBits"], error.Errors.Select(e => e.Field).Order());
    }

    private static async Task<string> SttyAsync(string device)
    {
        using var stty = Process.Start(new ProcessStartInfo("stty", ["-F", device, "-a"]) { RedirectStandardOutput = true })!;
        var output = await stty.StandardOutput.ReadToEndAsync(EngineHarness.Timeout());
        await stty.WaitForExitAsync(EngineHarness.Timeout());
        return output;
    }
}
