using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CharWeb.Api.Tests.Reliability;

/// <summary>A crash (SIGKILL) of the published server loses no definition; sockets listen again; consoles reattach.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task AfterSigkillEveryDefinitionIsBackSocketsListenAgainAndConsolesReattach()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-restart-").FullName;
        var tcpPort = CharWebServer.FreePort();
        string[] bodies =
        [
            """{"id": "rb", "backend": {"type": "ringbuf", "size": 4096}}""",
            """{"id": "echo", "history": 4096, "logfile": "echo.log", "backend": {"type": "testdev"}}""",
            """{"id": "out", "backend": {"type": "file", "path": "out.txt", "append": true}}""",
            $$$"""{"id": "vm-tcp", "backend": {"type": "socket", "server": true, "addr": {"type": "inet", "host": "127.0.0.1", "port": {{{tcpPort}}}} } }""",
            """{"id": "vm-unix", "backend": {"type": "socket", "server": true, "addr": {"type": "unix", "path": "vm.sock"}}}""",
            """{"id": "tty", "backend": {"type": "pty", "cols": 120, "rows": 40}}""",
            """{"id": "both", "backend": {"type": "hub", "chardevs": ["rb", "echo"]}}""",
        ];
        JsonArray before;
        await using (var first = await PublishedServer.StartAsync(dataDir))
        {
            foreach (var body in bodies)
            {
                using var created = await first.Http.PostAsync("/api/chardevs", new StringContent(body, Encoding.UTF8, "application/json"), CharWebServer.Timeout());
                Assert.True(created.IsSuccessStatusCode, body + " -> " + await created.Content.ReadAsStringAsync(CharWebServer.Timeout()));
            }

            using var peer = new TcpClient();
            await peer.ConnectAsync("127.0.0.1", tcpPort, CharWebServer.Timeout());
            before = await ListAsync(first);
            await first.KillAsync();
        }

        Assert.True(File.Exists(Path.Combine(dataDir, "vm.sock")), "a killed server leaves its socket file behind");
        await using var second = await PublishedServer.StartAsync(dataDir);
        var after = await ListAsync(second);

        foreach (var id in bodies.Select(b => JsonNode.Parse(b)!["id"]!.GetValue<string>()))
        {
            var was = before.Single(c => c!["id"]!.GetValue<string>() == id)!;
            var now = after.Single(c => c!["id"]!.GetValue<string>() == id)!;
            Assert.Equal(was["backend"]!.ToJsonString(), now["backend"]!.ToJsonString());
            Assert.Equal(was["createdAt"]!.ToJsonString(), now["createdAt"]!.ToJsonString());
            Assert.NotEqual("failed", now["state"]!.GetValue<string>());
        }

        Assert.Equal("listening", State(after, "vm-tcp"));
        Assert.Equal("listening", State(after, "vm-unix"));
        Assert.Equal("closed", State(after, "tty"));
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", tcpPort, CharWebServer.Timeout());
            await UntilStateAsync(second, "vm-tcp", "open");
        }

        using (var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await unix.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(dataDir, "vm.sock")), CharWebServer.Timeout());
            await UntilStateAsync(second, "vm-unix", "open");
        }

        await using var console = new HubConnectionBuilder().WithUrl(new Uri(second.BaseAddress, "hubs/console")).AddMessagePackProtocol().Build();
        await console.StartAsync(CharWebServer.Timeout());
        var stream = await console.StreamAsChannelAsync<byte[]>("Attach", "echo", CharWebServer.Timeout());
        await console.InvokeAsync<int>("Write", "echo", "after the crash"u8.ToArray(), CharWebServer.Timeout());
        var seen = new List<byte>();
        while (!Encoding.UTF8.GetString(seen.ToArray()).Contains("after the crash", StringComparison.Ordinal))
        {
            seen.AddRange(await stream.ReadAsync(CharWebServer.Timeout()));
        }
    }

    private static async Task<JsonArray> ListAsync(PublishedServer server) =>
        (await server.Http.GetFromJsonAsync<JsonArray>("/api/chardevs", CharWebServer.Timeout()))!;

    private static string State(JsonArray list, string id) =>
        list.Single(c => c!["id"]!.GetValue<string>() == id)!["state"]!.GetValue<string>();

    private static async Task UntilStateAsync(PublishedServer server, string id, string state)
    {
        var timeout = CharWebServer.Timeout();
        while (State(await ListAsync(server), id) != state)
        {
            await Task.Delay(20, timeout);
        }
    }

}
