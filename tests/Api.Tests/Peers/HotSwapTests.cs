using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Peers;

/// <summary>QEMU's chardev-change over REST: between any kinds, with a console attached all along.</summary>
public sealed class HotSwapTests
{
    [Fact]
    public async Task ConsoleStaysAttachedWhileTheBackendChangesKindsAndAFailedChangeKeepsTheOldOne()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "dev", "backend": {"type": "ringbuf", "size": 1024}}""");
        await using var console = await HubConsole.ConnectAsync(server, keep: true);
        await console.AttachAsync("dev");

        // ringbuf -> testdev: the console's input is echoed by the new device.
        await PutAsync(server, """{"type": "testdev"}""");
        await console.WaitForEventAsync("changed");
        await console.Connection.InvokeAsync<int>("Write", "dev", "echoed\n"u8.ToArray(), CharWebServer.Timeout());
        await UntilTextAsync(console, "echoed\n");

        // testdev -> pty: a program writing to the slave reaches the same console.
        var pty = await PutAsync(server, """{"type": "pty"}""");
        await console.WaitForEventAsync("changed");
        var slave = pty["ptyPath"]!.GetValue<string>();
        Assert.Equal("pty:" + slave, pty["filename"]!.GetValue<string>());
        await using (var program = new FileStream(slave, FileMode.Open, FileAccess.Write))
        {
            await program.WriteAsync("from the pty\n"u8.ToArray(), CharWebServer.Timeout());
        }

        await UntilTextAsync(console, "from the pty\n");

        // pty -> TCP server: a TCP peer reaches the same console.
        var tcp = await PutAsync(server, """{"type": "socket", "server": true, "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}}""");
        await console.WaitForEventAsync("changed");
        var port = int.Parse(tcp["filename"]!.GetValue<string>().Split(':')[3].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
        using (var peer = new TcpClient())
        {
            await peer.ConnectAsync("127.0.0.1", port, CharWebServer.Timeout());
            await peer.GetStream().WriteAsync("over tcp\n"u8.ToArray(), CharWebServer.Timeout());
            await UntilTextAsync(console, "over tcp\n");
        }

        // A change that cannot open leaves the TCP server in place.
        using var failed = await server.Http.PutAsync("/api/chardevs/dev/backend", Json("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 1}}"""), CharWebServer.Timeout());
        var problem = await Problem.ReadAsync(failed);
        Assert.Equal(422, problem.Status);
        Assert.Contains("Connection refused", problem.Errors["backend"][0]);
        var after = await server.GetAsync("dev");
        Assert.True(after["backend"]!["server"]!.GetValue<bool>());
        Assert.Equal(1, after["consoles"]!.GetValue<int>());
    }

    private static async Task<JsonObject> PutAsync(CharWebServer server, string backend)
    {
        using var response = await server.Http.PutAsync("/api/chardevs/dev/backend", Json(backend), CharWebServer.Timeout());
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout());
        Assert.True(response.IsSuccessStatusCode, body?.ToJsonString());
        return body!;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task UntilTextAsync(HubConsole console, string text) =>
        await HubConsole.UntilAsync(
            () => Task.FromResult(Encoding.UTF8.GetString(console.Bytes()).Contains(text, StringComparison.Ordinal)),
            $"'{text}' on the console (got: {Encoding.UTF8.GetString(console.Bytes())})");
}
