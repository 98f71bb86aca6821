using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;

namespace CharWeb.Api.Tests.Peers;

/// <summary>
/// A socket chardev with <c>websocket: true</c> (QEMU <c>websocket=on</c>) made over REST and QMP, its peer a real
/// <see cref="ClientWebSocket"/>, watched by a hub console; and the combinations QEMU refuses, refused as problem details.
/// </summary>
public sealed class WebSocketPeerTests
{
    [Fact]
    public async Task AMebibyteFromTheWebSocketPeerReachesAHubConsoleWithNothingLostAndRestInputReachesThePeer()
    {
        await using var server = await CharWebServer.StartAsync();
        var created = await server.CreateAsync("""
            {"id": "vm", "flow": "pace", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true, "websocket": true}}
            """);
        Assert.True(created["backend"]!["websocket"]!.GetValue<bool>());
        var filename = created["filename"]!.GetValue<string>();
        Assert.Matches(@"^disconnected:websocket:127\.0\.0\.1:\d+,server=on$", filename);
        var port = int.Parse(filename.Split(':')[3].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
        await using var console = await HubConsole.ConnectAsync(server, keep: true);
        await console.AttachAsync("vm");

        using var peer = new ClientWebSocket();
        peer.Options.AddSubProtocol("binary");
        await peer.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), CharWebServer.Timeout());
        await HubConsole.UntilAsync(async () => (await server.GetAsync("vm"))["connected"]!.GetValue<bool>(), "the peer to connect");
        var flood = RandomNumberGenerator.GetBytes(1 << 20);
        for (var at = 0; at < flood.Length; at += 32 << 10)
        {
            await peer.SendAsync(flood.AsMemory(at, 32 << 10), WebSocketMessageType.Binary, endOfMessage: true, CharWebServer.Timeout());
        }

        await console.WaitForReceivedAsync(flood.Length, CharWebServer.Timeout(60));
        Assert.Equal(flood, console.Bytes());
        Assert.DoesNotContain(console.Events, e => e.Kind == "overrun");
        var stats = (await server.GetAsync("vm"))["stats"]!;
        Assert.Equal(flood.Length, stats["outputBytes"]!.GetValue<long>());
        Assert.Equal(0, stats["outputDropped"]!.GetValue<long>());
        Assert.Equal(0, (await HubConsole.ListAsync(server, "vm"))[0]!["bytesLost"]!.GetValue<long>());

        var input = RandomNumberGenerator.GetBytes(4096);
        using var write = await server.PostJsonAsync("/api/chardevs/vm/write", $$"""{"data": "{{Convert.ToBase64String(input)}}", "format": "base64"}""");
        Assert.Equal(4096, (await write.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["accepted"]!.GetValue<int>());
        var buffer = new byte[8192];
        var frame = await peer.ReceiveAsync(buffer.AsMemory(), CharWebServer.Timeout());
        Assert.Equal(WebSocketMessageType.Binary, frame.MessageType);
        Assert.True(frame.EndOfMessage);
        Assert.Equal(input, buffer[..frame.Count]);

        await peer.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CharWebServer.Timeout());
        var closed = await console.WaitForEventAsync("closed");
        Assert.Equal("peer closed the WebSocket with 1000 bye", closed.Text("reason"));
        Assert.Equal("listening", (await server.GetAsync("vm"))["state"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"addr": {"type": "inet", "host": "127.0.0.1", "port": 4555}, "websocket": true}""", "needs server: true (a WebSocket client is not supported, as in QEMU)")]
    [InlineData("""{"addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true, "telnet": true, "websocket": true}""", "cannot be combined with telnet: the peer speaks WebSocket frames, not telnet")]
    public async Task WebsocketAsAClientOrWithTelnetIsRefusedWithProblemDetailsNamingBackendWebsocket(string options, string reason)
    {
        await using var server = await CharWebServer.StartAsync();

        using var response = await server.PostJsonAsync("/api/chardevs", $$"""{"id": "ws", "backend": {"type": "socket", {{options[1..]}}}""");
        var problem = await Problem.ReadAsync(response);

        Assert.Equal(400, problem.Status);
        Assert.StartsWith("urn:charweb:problem:", problem.Type);
        Assert.Equal(["backend.websocket"], problem.Errors.Keys);
        Assert.Equal([reason], problem.Errors["backend.websocket"]);
        Assert.Empty(await server.ListAsync());
    }

    [Fact]
    public async Task QmpChardevAddTakesWebsocketAndRefusesAWebSocketClientAsQemuDoes()
    {
        await using var server = await CharWebServer.StartAsync();

        var added = await QmpAsync(server, """
            { "execute": "chardev-add", "arguments": { "id": "ws0", "backend": { "type": "socket", "data": {
                "addr": { "type": "inet", "data": { "host": "127.0.0.1", "port": "0" } }, "server": true, "wait": false, "websocket": true } } } }
            """);
        var client = await QmpAsync(server, """
            { "execute": "chardev-add", "arguments": { "id": "ws1", "backend": { "type": "socket", "data": {
                "addr": { "type": "inet", "data": { "host": "127.0.0.1", "port": "4555" } }, "server": false, "websocket": true } } } }
            """);

        Assert.Equal("""{"return":{}}""", added.ToJsonString());
        var chardev = await server.GetAsync("ws0");
        Assert.True(chardev["backend"]!["websocket"]!.GetValue<bool>());
        Assert.StartsWith("disconnected:websocket:127.0.0.1:", chardev["filename"]!.GetValue<string>());
        Assert.Equal("GenericError", client["error"]!["class"]!.GetValue<string>());
        Assert.Contains("backend.websocket: needs server: true (a WebSocket client is not supported, as in QEMU)", client["error"]!["desc"]!.GetValue<string>());
        Assert.Equal(["ws0"], (await server.ListAsync()).Select(c => c!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task BackendListingShowsWebsocketAsABooleanOptionOfSocketDefaultFalse()
    {
        await using var server = await CharWebServer.StartAsync();

        var kinds = (await server.Http.GetFromJsonAsync<JsonArray>("/api/backends", CharWebServer.Timeout()))!;

        var socket = kinds.Single(k => k!["name"]!.GetValue<string>() == "socket")!;
        var option = socket["options"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == "websocket")!;
        Assert.Equal("boolean", option["type"]!.GetValue<string>());
        Assert.False(option["default"]!.GetValue<bool>());
        Assert.False(option["required"]!.GetValue<bool>());
        Assert.Contains("WebSocket", socket["description"]!.GetValue<string>());
    }

    private static async Task<JsonNode> QmpAsync(CharWebServer server, string command)
    {
        using var response = await server.PostJsonAsync("/api/qmp", command);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonNode>(CharWebServer.Timeout()))!;
    }
}
