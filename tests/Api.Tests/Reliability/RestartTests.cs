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

    /// <summary>
    /// Each chunk a chardev logs is handed to the kernel unbuffered, so SIGKILL loses none of it; a
    /// restart reopens the log and a file output for append, never emptying them.
    /// </summary>
    [Fact]
    public async Task SigkillKeepsEveryLoggedByteAndTheRestartAppends()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-restart-").FullName;
        var sent = new byte[200_000];
        new Random(7).NextBytes(sent);
        await using (var first = await PublishedServer.StartAsync(dataDir))
        {
            await CreateAsync(first, """{"id": "echo", "logfile": "logs/echo.log", "backend": {"type": "testdev"}}""");
            await CreateAsync(first, """{"id": "out", "backend": {"type": "file", "path": "out.txt"}}""");
            foreach (var chunk in sent.Chunk(50_000))
            {
                await WriteAsync(first, "echo", chunk);
                await WriteAsync(first, "out", chunk);
            }

            // Every byte the device said is counted before the kill.
            await UntilAsync(async () => (await ChardevAsync(first, "echo"))["stats"]!["outputBytes"]!.GetValue<long>() == sent.Length);
            await first.KillAsync();
        }

        Assert.Equal(sent, await File.ReadAllBytesAsync(Path.Combine(dataDir, "logs", "echo.log"), CharWebServer.Timeout()));
        Assert.Equal(sent, await File.ReadAllBytesAsync(Path.Combine(dataDir, "out.txt"), CharWebServer.Timeout()));

        await using (var second = await PublishedServer.StartAsync(dataDir))
        {
            Assert.Equal(sent, await File.ReadAllBytesAsync(Path.Combine(dataDir, "logs", "echo.log"), CharWebServer.Timeout()));
            await WriteAsync(second, "echo", "after"u8.ToArray());
            await WriteAsync(second, "out", "after"u8.ToArray());
            await UntilAsync(async () => (await ChardevAsync(second, "echo"))["stats"]!["outputBytes"]!.GetValue<long>() == 5);
        }

        byte[] appended = [.. sent, .. Encoding.ASCII.GetBytes("after")];
        Assert.Equal(appended, await File.ReadAllBytesAsync(Path.Combine(dataDir, "logs", "echo.log"), CharWebServer.Timeout()));
        Assert.Equal(appended, await File.ReadAllBytesAsync(Path.Combine(dataDir, "out.txt"), CharWebServer.Timeout()));
    }

    private static async Task CreateAsync(PublishedServer server, string body)
    {
        using var created = await server.Http.PostAsync("/api/chardevs", new StringContent(body, Encoding.UTF8, "application/json"), CharWebServer.Timeout());
        Assert.True(created.IsSuccessStatusCode, body + " -> " + await created.Content.ReadAsStringAsync(CharWebServer.Timeout()));
    }

    private static async Task WriteAsync(PublishedServer server, string id, byte[] data)
    {
        using var written = await server.Http.PostAsJsonAsync($"/api/chardevs/{id}/write", new { data = Convert.ToBase64String(data), format = "base64" }, CharWebServer.Timeout());
        var answer = (await written.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!;
        Assert.Equal(data.Length, answer["accepted"]!.GetValue<int>());
    }

    private static async Task<JsonObject> ChardevAsync(PublishedServer server, string id) =>
        (await server.Http.GetFromJsonAsync<JsonObject>($"/api/chardevs/{id}", CharWebServer.Timeout()))!;

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var timeout = CharWebServer.Timeout();
        while (!await condition())
        {
            await Task.Delay(20, timeout);
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
