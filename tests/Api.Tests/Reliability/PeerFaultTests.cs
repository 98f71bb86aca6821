using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Reliability;

/// <summary>Peers that fail: the chardev reports the right event and state, the others are untouched, the server keeps going.</summary>
public sealed class PeerFaultTests
{
    [Fact]
    public async Task SocketPeerResetMidStreamGivesClosedAndTheServerListensAgain()
    {
        await using var server = await StartAsync();
        var created = await server.CreateAsync("""{"id": "srv", "backend": {"type": "socket", "server": true, "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}}}""");
        await using var console = await AttachedAsync(server, "srv");
        using (var peer = new TcpClient())
        {
            await peer.ConnectAsync("127.0.0.1", PortOf(created), CharWebServer.Timeout());
            await console.WaitForEventAsync("opened");
            await peer.GetStream().WriteAsync(new byte[100_000], CharWebServer.Timeout());
            peer.Client.LingerState = new LingerOption(true, 0); // close with RST, mid-stream
        }

        await console.WaitForEventAsync("closed");
        Assert.Equal("listening", (await server.GetAsync("srv"))["state"]!.GetValue<string>());
        await AssertOthersUntouchedAsync(server);
    }

    [Fact]
    public async Task ProgramClosingThePtySlaveGivesClosed()
    {
        await using var server = await StartAsync();
        var created = await server.CreateAsync("""{"id": "tty", "backend": {"type": "pty"}}""");
        await using var console = await AttachedAsync(server, "tty");
        var program = Process.Start(new ProcessStartInfo("socat", ["-", created["ptyPath"]!.GetValue<string>() + ",raw,echo=0"]) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        await console.WaitForEventAsync("opened");

        program.Kill();
        await program.WaitForExitAsync(CharWebServer.Timeout());

        await console.WaitForEventAsync("closed");
        Assert.Equal("closed", (await server.GetAsync("tty"))["state"]!.GetValue<string>());
        await AssertOthersUntouchedAsync(server);
    }

    [Fact]
    public async Task KilledExecProgramGivesClosedWithItsExitCode()
    {
        await using var server = await StartAsync();
        await server.CreateAsync("""{"id": "job", "history": 4096, "backend": {"type": "exec", "command": "/bin/sh", "args": ["-c", "echo pid:$$; exec sleep 600"]}}""");
        await using var console = await AttachedAsync(server, "job", keep: true);
        await HubConsole.UntilAsync(() => Task.FromResult(Encoding.UTF8.GetString(console.Bytes()).Contains('\n')), "the program's pid");
        var pid = int.Parse(Encoding.UTF8.GetString(console.Bytes()).Split("pid:")[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);

        Process.GetProcessById(pid).Kill();

        var closed = await console.WaitForEventAsync("closed");
        Assert.Equal(137, closed.Number("exitCode"));
        await AssertOthersUntouchedAsync(server);
    }

    [Fact]
    public async Task RemovedSerialPtyPairFailsTheSerialChardev()
    {
        await using var server = await StartAsync();
        var a = Path.Combine(server.DataDir, "ttyA");
        var pair = Process.Start("socat", ["-d", "-d", $"pty,raw,echo=0,link={a}", $"pty,raw,echo=0,link={Path.Combine(server.DataDir, "ttyB")}"]);
        await HubConsole.UntilAsync(() => Task.FromResult(File.Exists(a)), "the pty pair");
        await server.CreateAsync("""{"id": "board", "backend": {"type": "serial", "path": "ttyA"}}""");
        await using var console = await AttachedAsync(server, "board");

        pair.Kill();
        await pair.WaitForExitAsync(CharWebServer.Timeout());

        var failed = await console.WaitForEventAsync("failed");
        Assert.Contains("hung up", failed.Text("reason"));
        Assert.Equal("failed", (await server.GetAsync("board"))["state"]!.GetValue<string>());
        await AssertOthersUntouchedAsync(server);
    }

    [Fact]
    public async Task UnwritableLogfileIsReportedAndTheDeviceAndItsConsolesCarryOn()
    {
        await using var server = await StartAsync();
        await server.CreateAsync("""{"id": "logged", "logfile": "/dev/full", "backend": {"type": "testdev"}}""");
        await using var console = await AttachedAsync(server, "logged", keep: true);

        await console.Connection.InvokeAsync<int>("Write", "logged", "still here"u8.ToArray(), CharWebServer.Timeout());

        var failed = await console.WaitForEventAsync("failed");
        Assert.Contains("No space left on device", failed.Text("reason"));
        await HubConsole.UntilAsync(() => Task.FromResult(Encoding.UTF8.GetString(console.Bytes()).Contains("still here", StringComparison.Ordinal)), "the echo despite the log");
        Assert.Equal("open", (await server.GetAsync("logged"))["state"]!.GetValue<string>());
        await AssertOthersUntouchedAsync(server);
    }

    private static async Task<CharWebServer> StartAsync()
    {
        var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["CharWeb:Exec:Allowed:0"] = "/bin/sh",
            ["CharWeb:AllowedPaths:0"] = "/dev",
            // socat's pty pairs: the links it makes in the data folder and the ptys they lead to.
            ["CharWeb:Devices:Allowed:0"] = Path.Combine(Path.GetTempPath(), "charweb-api-*", "tty*"),
            ["CharWeb:Devices:Allowed:1"] = "/dev/pts/*",
        });
        await server.CreateAsync("""{"id": "bystander", "backend": {"type": "ringbuf", "size": 64}}""");
        return server;
    }

    private static async Task<HubConsole> AttachedAsync(CharWebServer server, string id, bool keep = false)
    {
        var console = await HubConsole.ConnectAsync(server, keep: keep);
        await console.AttachAsync(id);
        return console;
    }

    /// <summary>The bystander chardev still works and the server is healthy.</summary>
    private static async Task AssertOthersUntouchedAsync(CharWebServer server)
    {
        using var write = await server.PostJsonAsync("/api/chardevs/bystander/write", """{"data": "ok"}""");
        Assert.Equal("""{"accepted":2}""", await write.Content.ReadAsStringAsync(CharWebServer.Timeout()));
        Assert.Equal("open", (await server.GetAsync("bystander"))["state"]!.GetValue<string>());
        var health = JsonNode.Parse(await server.Http.GetStringAsync("/healthz", CharWebServer.Timeout()))!;
        Assert.Equal("healthy", health["status"]!.GetValue<string>());
    }

    internal static int PortOf(JsonObject chardev) =>
        int.Parse(chardev["filename"]!.GetValue<string>().Split(':')[3].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
}
