using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Access;
using CharWeb.Api.Tests.Browser;
using CharWeb.Api.Tests.Hubs;
using CharWeb.Api.Tests.Reliability;

namespace CharWeb.Api.Tests.Consoles;

/// <summary>
/// <c>GET /ws/chardevs/{id}</c> seen from a plain <see cref="ClientWebSocket"/>: bytes both ways,
/// history first, the hub's access rules, refusals before the upgrade, limits shared with the hub,
/// a stalled socket that costs nobody else, and removal closing the socket. (websocat is not in
/// Debian 12's archive, so no test drives it; these clients speak RFC 6455 with no SignalR at all.)
/// </summary>
public sealed class RawWebSocketTests
{
    [Fact]
    public async Task BinaryAndTextFramesEchoThroughATestdevByteExactAndAreAudited()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "auditInput": true, "backend": {"type": "testdev"}}""");
        var every = Enumerable.Range(0, 4 * 256).Select(i => (byte)i).ToArray();
        var text = Encoding.UTF8.GetBytes("héllo ✓\r");
        byte[] edges = [0xFF, 0x00, 0xFE, 0x00, 0xFF];
        byte[] expected = [.. every, .. text, .. edges];

        using (var socket = await RawSocket.ConnectAsync(server, "echo"))
        {
            await socket.SendAsync(every);
            await socket.SendAsync(text, WebSocketMessageType.Text);
            await socket.SendAsync(edges);
            var output = await socket.ReceiveOutputAsync(expected.Length);

            Assert.Equal(expected, output);
            Assert.Empty(socket.Notices);
            await socket.CloseAsync();
            Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.Socket.CloseStatus);
        }

        Assert.Equal(expected.Length, (await server.GetAsync("echo"))["stats"]!["inputBytes"]!.GetValue<long>());
        var audit = await AuditAsync(server.Http, "echo", entries => entries.Any(e => Action(e) == "detach"));
        var attach = audit.Single(e => Action(e) == "attach");
        var writes = audit.Where(e => Action(e) == "write").ToList();
        var detach = audit.Single(e => Action(e) == "detach");
        Assert.Equal("read-write websocket", attach!["detail"]!.GetValue<string>());
        Assert.Equal(expected, writes.SelectMany(w => Convert.FromBase64String(w!["data"]!.GetValue<string>())).ToArray());
        Assert.Equal(expected.Length, detach!["bytes"]!.GetValue<long>());
        Assert.StartsWith("0 bytes lost", detach["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task HistoryIsReplayedBeforeLiveOutput()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "replay", "history": 4096, "backend": {"type": "testdev"}}""");
        await WriteAsync(server.Http, "replay", "before|");

        using var socket = await RawSocket.ConnectAsync(server, "replay");
        await WriteAsync(server.Http, "replay", "after");

        Assert.Equal("before|after", Encoding.UTF8.GetString(await socket.ReceiveOutputAsync(12)));
    }

    [Fact]
    public async Task AViewersInputIsIgnoredAndToldWhileItsOutputKeepsComing()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "echo", "backend": {"type": "testdev"}}""");

        using var viewer = await RawSocket.ConnectAsync(server, "echo", "access_token=" + Uri.EscapeDataString(TestKeys.Viewer));
        using var watching = await RawSocket.ConnectAsync(server, "echo", "readonly=1", bearer: TestKeys.Operator);
        await viewer.SendAsync("typed"u8.ToArray());
        await watching.SendAsync("no"u8.ToArray(), WebSocketMessageType.Text);
        var refused = await viewer.ReceiveNoticeAsync("refused");
        var narrowed = await watching.ReceiveNoticeAsync("refused");
        await WriteAsync(admin, "echo", "out");

        Assert.Contains("read-only", refused["reason"]!.GetValue<string>());
        Assert.Contains("viewer-key is a viewer", refused["reason"]!.GetValue<string>());
        Assert.Equal(5, refused["bytes"]!.GetValue<long>());
        Assert.Contains("readonly=1", narrowed["reason"]!.GetValue<string>());
        Assert.Equal("out", Encoding.UTF8.GetString(await viewer.ReceiveOutputAsync(3)));
        Assert.Equal("out", Encoding.UTF8.GetString(await watching.ReceiveOutputAsync(3)));
        Assert.Equal(WebSocketState.Open, viewer.Socket.State);
        Assert.Equal(3, (await WriterSeatHubTests.GetAsync(admin, "echo"))["stats"]!["inputBytes"]!.GetValue<long>());
        var consoles = (await admin.GetFromJsonAsync<JsonArray>("/api/chardevs/echo/consoles", CharWebServer.Timeout()))!;
        Assert.Equal(new[] { "operator-key", "viewer-key" }, consoles.Select(c => c!["user"]!.GetValue<string>()).Order());
        Assert.All(consoles, c => Assert.True(c!["readOnly"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task AnOperatorSpysInputIsRefusedWhileAnotherHoldsTheSeatAndGoesThroughOnceTheSeatPasses()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var bobKey = await WriterSeatHubTests.MakeKeyAsync(admin, "bob", "operator");
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "echo", "backend": {"type": "testdev"}}""");

        var holder = await RawSocket.ConnectAsync(server, "echo", bearer: TestKeys.Operator);
        using var spy = await RawSocket.ConnectAsync(server, "echo", "events=1", bearer: bobKey);
        await spy.SendAsync("no"u8.ToArray());
        var refused = await spy.ReceiveNoticeAsync("refused");
        await holder.SendAsync("yes"u8.ToArray());
        Assert.Equal("yes", Encoding.UTF8.GetString(await spy.ReceiveOutputAsync(3)));

        Assert.Contains("spy", refused["reason"]!.GetValue<string>());
        Assert.Contains("'operator-key' holds the writer seat", refused["reason"]!.GetValue<string>());
        var seat = await spy.ReceiveNoticeAsync("writer");
        Assert.Equal(("operator-key", false), (seat["name"]!.GetValue<string>(), seat["self"]!.GetValue<bool>()));

        // The holder leaves: the seat passes to the spy, which is told and may now type.
        await holder.CloseAsync();
        holder.Dispose();
        var passed = await spy.ReceiveNoticeAsync("writer", n => n["self"]!.GetValue<bool>());
        Assert.Equal("bob", passed["name"]!.GetValue<string>());
        await spy.SendAsync("ok"u8.ToArray());
        Assert.Equal("yesok", Encoding.UTF8.GetString(await spy.ReceiveOutputAsync(5)));
        Assert.Equal(5, (await WriterSeatHubTests.GetAsync(admin, "echo"))["stats"]!["inputBytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task AChardevTheCallerMayNotSeeIsNotFoundBeforeTheUpgrade()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "hidden", "access": {"viewers": ["someone-else"]}, "backend": {"type": "testdev"}}""");
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "open", "backend": {"type": "testdev"}}""");

        Assert.Equal(HttpStatusCode.NotFound, await RawSocket.RefusedAsync(server, "hidden", bearer: TestKeys.Viewer));
        Assert.Equal(HttpStatusCode.NotFound, await RawSocket.RefusedAsync(server, "ghost", bearer: TestKeys.Viewer));
        using var own = await RawSocket.ConnectAsync(server, "open", bearer: TestKeys.Viewer);
        using var admins = await RawSocket.ConnectAsync(server, "hidden", bearer: TestKeys.Admin);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, own.Socket.HttpStatusCode);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, admins.Socket.HttpStatusCode);
    }

    [Fact]
    public async Task APlainGetIsABadRequestSayingToUpgrade()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");

        using var response = await server.Http.GetAsync("/ws/chardevs/echo", CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Problem.ReadAsync(response);
        Assert.Equal("urn:charweb:problem:websocket-required", problem.Type);
        Assert.Contains("WebSocket", problem.Detail);
        Assert.Equal(["upgrade"], problem.Errors.Keys);
        Assert.Equal(0, (await server.GetAsync("echo"))["consoles"]!.GetValue<int>());
    }

    [Fact]
    public async Task AnUpgradeFromAForeignOriginIsForbiddenAndFromTheServersOwnPageConnects()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");

        Assert.Equal(HttpStatusCode.Forbidden, await RawSocket.RefusedAsync(server, "echo", origin: "https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await RawSocket.RefusedAsync(server, "echo", origin: "null"));
        using var own = await RawSocket.ConnectAsync(server, "echo", origin: server.BaseAddress.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, own.Socket.HttpStatusCode);
    }

    [Fact]
    public async Task AnAccessTokenInTheQueryIsTakenOnTheSocketButStillRefusedInRestUrls()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "echo", "backend": {"type": "testdev"}}""");
        var token = "access_token=" + Uri.EscapeDataString(TestKeys.Operator);

        Assert.Equal(HttpStatusCode.Unauthorized, await RawSocket.RefusedAsync(server, "echo"));
        Assert.Equal(HttpStatusCode.Unauthorized, await RawSocket.RefusedAsync(server, "echo", "access_token=cwk_not-a-key"));
        using var byQuery = await RawSocket.ConnectAsync(server, "echo", token);
        using var byHeader = await RawSocket.ConnectAsync(server, "echo", bearer: TestKeys.Viewer);
        await byQuery.SendAsync("hi"u8.ToArray());
        Assert.Equal("hi", Encoding.UTF8.GetString(await byHeader.ReceiveOutputAsync(2)));

        foreach (var path in new[] { "/api/chardevs/echo", "/api/chardevs/echo/history", "/wsx/chardevs/echo" })
        {
            using var anonymous = TestKeys.Client(server, null);
            using var rest = await anonymous.GetAsync($"{path}?{token}", CharWebServer.Timeout());
            Assert.True(rest.StatusCode == HttpStatusCode.BadRequest, $"{path}?access_token= answered {(int)rest.StatusCode}");
            Assert.Equal("urn:charweb:problem:credentials-in-url", (await Problem.ReadAsync(rest)).Type);
        }

        var consoles = (await admin.GetFromJsonAsync<JsonArray>("/api/chardevs/echo/consoles", CharWebServer.Timeout()))!;
        Assert.Equal(new[] { "operator-key", "viewer-key" }, consoles.Select(c => c!["user"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task SocketsCountTowardTheServersConsoleAndConnectionLimitsSharedWithTheHub()
    {
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["CharWeb:Limits:MaxConsoles"] = "1",
            ["CharWeb:Limits:MaxConnectionsPerUser"] = "2",
        });
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");

        var first = await RawSocket.ConnectAsync(server, "echo");
        await using var hub = await HubConsole.ConnectAsync(server);
        var full = await Assert.ThrowsAnyAsync<Exception>(() => hub.AttachAsync("echo"));
        Assert.Contains("MaxConsoles", full.Message);
        Assert.Equal(HttpStatusCode.Conflict, await RawSocket.RefusedAsync(server, "echo"));

        await first.CloseAsync();
        first.Dispose();
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "echo") == 0, "the socket's console detached");
        await hub.AttachAsync("echo");
        Assert.Equal(1, await HubConsole.CountAsync(server, "echo"));
    }

    /// <summary>
    /// The peer keeps no more than half a console buffer ahead of a hub console and a socket that
    /// reads, which so never have reason to lose a byte (and the reading socket gets 32 times its
    /// window, so its sends must acknowledge); the socket that never reads fills its own buffer and loses the rest.
    /// </summary>
    [Fact]
    public async Task ASocketThatStopsReadingLosesOutputWhileTheDeviceAHubConsoleAndAReadingSocketGetEveryByte()
    {
        const int Step = 512 << 10;
        const long Total = 16L << 20;
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?>
        {
            // The stalled client answers no ping; keep it attached for the whole test.
            ["CharWeb:Console:ClientTimeoutSeconds"] = "300",
        });
        var created = await server.CreateAsync("""{"id": "flood", "backend": {"type": "socket", "server": true, "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}}}""");
        await using var hub = await HubConsole.ConnectAsync(server);
        await hub.AttachAsync("flood");
        using var stalled = await RawSocket.ConnectAsync(server, "flood", receiveBuffer: 4096);
        using var reader = await RawSocket.ConnectAsync(server, "flood", "events=1");
        var reading = reader.ReceiveOutputAsync(Total, seconds: 120);
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "flood") == 3, "the three consoles are attached");

        using var peer = new TcpClient { NoDelay = true };
        await peer.ConnectAsync(IPAddress.Loopback, PeerFaultTests.PortOf(created), CharWebServer.Timeout());
        await hub.WaitForEventAsync("opened");
        var step = new byte[Step];
        using var expected = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var random = new Random(11);
        for (var written = 0L; written < Total;)
        {
            random.NextBytes(step);
            expected.AppendData(step);
            await peer.GetStream().WriteAsync(step, CharWebServer.Timeout());
            written += Step;
            await hub.WaitForReceivedAsync(written, CharWebServer.Timeout());
            await HubConsole.UntilAsync(() => Task.FromResult(reader.Received >= written), $"the reading socket got {written} bytes");
        }

        var hash = Convert.ToHexString(expected.GetHashAndReset());
        Assert.Equal(Total, hub.Received);
        Assert.Equal(hash, Convert.ToHexString(hub.Hash()));
        Assert.DoesNotContain(hub.Events, e => e.Kind == "overrun");
        Assert.Equal(hash, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(await reading)));
        Assert.DoesNotContain(reader.Notices, n => n["kind"]!.GetValue<string>() == "overrun");
        Assert.Equal(Total, (await server.GetAsync("flood"))["stats"]!["outputBytes"]!.GetValue<long>());
        var consoles = await HubConsole.ListAsync(server, "flood");
        var socketConsole = consoles.Single(c => c!["remoteAddress"]!.GetValue<string>().EndsWith($":{stalled.LocalPort}", StringComparison.Ordinal))!;
        Assert.All(consoles.Where(c => !ReferenceEquals(c, socketConsole)), c => Assert.Equal(0, c!["bytesLost"]!.GetValue<long>()));
        var lost = socketConsole["bytesLost"]!.GetValue<long>();
        var sent = socketConsole["bytesSent"]!.GetValue<long>();
        Assert.True(lost > 0, $"the stalled socket lost nothing: {socketConsole}");
        Assert.Equal(Total, sent + lost + socketConsole["queuedBytes"]!.GetValue<long>());
        Assert.Equal(WebSocketState.Open, stalled.Socket.State);
        ConsoleFanoutTests.Report($"stalled socket: {sent} bytes sent, {lost} lost; hub console and reading socket: all {Total}");
    }

    [Fact]
    public async Task AClientThatAnswersNoPingIsDroppedAndItsConsoleDetached()
    {
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["CharWeb:Console:KeepAliveSeconds"] = "1",
            ["CharWeb:Console:ClientTimeoutSeconds"] = "2",
        });
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        using var answering = await RawSocket.ConnectAsync(server, "echo");
        var answered = answering.ReceiveCloseAsync(seconds: 60);

        // This client never receives, so it never answers a ping.
        using var silent = await RawSocket.ConnectAsync(server, "echo");
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "echo") == 2, "both sockets are attached");
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "echo") == 1, "the silent socket was dropped", seconds: 20);

        var left = await HubConsole.ListAsync(server, "echo");
        Assert.EndsWith($":{answering.LocalPort}", left.Single()!["remoteAddress"]!.GetValue<string>());
        Assert.False(answered.IsCompleted, "the socket that answers pings was closed too");
        await answering.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CharWebServer.Timeout());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await answered).Status);
    }

    [Fact]
    public async Task RemovingTheChardevClosesTheSocketWithEndpointUnavailable()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "gone", "backend": {"type": "testdev"}}""");
        using var plain = await RawSocket.ConnectAsync(server, "gone");
        using var told = await RawSocket.ConnectAsync(server, "gone", "events=1");
        await told.ReceiveNoticeAsync("consoles");
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "gone") == 2, "both sockets are attached");

        using (var removed = await server.Http.DeleteAsync("/api/chardevs/gone", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        var (status, description) = await plain.ReceiveCloseAsync();
        var notice = await told.ReceiveNoticeAsync("removed");
        var (toldStatus, _) = await told.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.Equal("chardev 'gone' was removed", description);
        Assert.Empty(plain.Notices);
        Assert.Equal("removed", notice["kind"]!.GetValue<string>());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, toldStatus);
    }

    [Fact]
    public async Task StoppingTheServerClosesTheSocketsAndOneThatNeverReadsHoldsTheStopOnlyForTheGrace()
    {
        var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        using var socket = await RawSocket.ConnectAsync(server, "echo");
        using var silent = await RawSocket.ConnectAsync(server, "echo");
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "echo") == 2, "both sockets are attached");
        var closed = socket.ReceiveCloseAsync();

        var clock = Stopwatch.StartNew();
        await server.DisposeAsync();

        var (status, description) = await closed.WaitAsync(CharWebServer.Timeout());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.Equal("the server is shutting down", description);
        // The silent socket never takes its close: the stop waits the 5 s grace for it, not the host's 30 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the server took {clock.Elapsed} to stop");
    }

    [Fact]
    public async Task TheReadmesBrowserExampleTypesAndReadsBinaryThroughChromiumWithAnAccessToken()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(server.BaseAddress);

        // The README's example, with the echo collected instead of shown in a terminal.
        var echoed = await page.EvaluateAsync<int[]>(
            """
            key => new Promise((resolve, reject) => {
              const ws = new WebSocket(`ws://${location.host}/ws/chardevs/echo?access_token=${encodeURIComponent(key)}`);
              ws.binaryType = 'arraybuffer';
              const got = [];
              ws.onopen = () => ws.send(new Uint8Array([0, 255, ...new TextEncoder().encode('hi\r')]));
              ws.onmessage = e => {
                if (typeof e.data === 'string') return;
                got.push(...new Uint8Array(e.data));
                if (got.length >= 5) { ws.close(); resolve(got); }
              };
              ws.onclose = e => reject(new Error(`closed ${e.code} ${e.reason}`));
            })
            """,
            TestKeys.Operator).WaitAsync(CharWebServer.Timeout());

        Assert.Equal(new[] { 0, 255, 'h', 'i', '\r' }, echoed);
        var audit = await AuditAsync(admin, "echo", entries => entries.Any(e => Action(e) == "write"));
        Assert.Equal("operator-key", audit.First(e => Action(e) == "write")!["user"]!.GetValue<string>());
    }

    private static async Task WriteAsync(HttpClient client, string id, string data)
    {
        using var response = await client.PostAsJsonAsync($"/api/chardevs/{id}/write", new { data }, CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string Action(JsonNode? entry) => entry!["action"]!.GetValue<string>();

    /// <summary>The audit stores behind the request: wait for the entries.</summary>
    private static async Task<List<JsonNode?>> AuditAsync(HttpClient admin, string chardev, Func<List<JsonNode?>, bool> done)
    {
        List<JsonNode?> entries = [];
        await HubConsole.UntilAsync(
            async () =>
            {
                var page = await admin.GetFromJsonAsync<JsonObject>($"/api/audit?chardev={chardev}&limit=1000", CharWebServer.Timeout());
                entries = [.. page!["entries"]!.AsArray()];
                return done(entries);
            },
            $"audit entries of {chardev}");
        return entries;
    }
}
