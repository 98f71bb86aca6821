using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests.Access;

/// <summary>
/// The defences around the API: the loopback default, cross-site requests, the Host header,
/// QMP's media type and the page's own headers, each seen from a plain HTTP client.
/// </summary>
public sealed class GuardTests
{
    private const string Self = "{self}";
    private const string CreateBody = """{"id": "made", "backend": {"type": "null"}}""";

    [Fact]
    public async Task LoopbackCallerWithoutCredentialsIsTheLoopbackAdminByDefault()
    {
        await using var server = await CharWebServer.StartAsync();

        using var response = await server.Http.GetAsync("/api/me", CharWebServer.Timeout());

        var me = await ObjectAsync(response, HttpStatusCode.OK);
        Assert.Equal(("loopback", "admin", "loopback"), (me["name"]!.GetValue<string>(), me["role"]!.GetValue<string>(), me["via"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("X-Forwarded-For", "1.2.3.4")]
    [InlineData("Forwarded", "for=1.2.3.4")]
    [InlineData("X-Real-IP", "1.2.3.4")]
    public async Task LoopbackCallerRelayedByAProxyIsUnauthenticated(string header, string value)
    {
        await using var server = await CharWebServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Add(header, value);

        using var response = await server.Http.SendAsync(request, CharWebServer.Timeout());

        await AssertUnauthenticatedAsync(response);
    }

    [Fact]
    public async Task LoopbackCallerIsUnauthenticatedWhenAnonymousLoopbackIsOff()
    {
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["CharWeb:Auth:AnonymousLoopback"] = "false" });

        using var response = await server.Http.GetAsync("/api/me", CharWebServer.Timeout());

        await AssertUnauthenticatedAsync(response);
    }

    /// <summary><paramref name="origin"/> <c>{self}</c> is the server's own origin, http://127.0.0.1:PORT.</summary>
    [Theory]
    [InlineData("https://evil.example", null, null, HttpStatusCode.Forbidden)]
    [InlineData("null", null, null, HttpStatusCode.Forbidden)]
    [InlineData(Self, null, null, HttpStatusCode.Created)]
    [InlineData(null, "cross-site", null, HttpStatusCode.Forbidden)]
    [InlineData(null, "same-site", null, HttpStatusCode.Forbidden)]
    [InlineData(null, "same-origin", null, HttpStatusCode.Created)]
    [InlineData("https://dash.example", null, "https://dash.example", HttpStatusCode.Created)]
    [InlineData("https://evil.example", null, "https://dash.example", HttpStatusCode.Forbidden)]
    public async Task ChardevCreateFromABrowserPageIsServedOnlyFromAnAllowedOrigin(string? origin, string? fetchSite, string? allowedOrigin, HttpStatusCode expected)
    {
        var settings = new Dictionary<string, string?>();
        if (allowedOrigin is not null)
        {
            settings["CharWeb:Auth:AllowedOrigins:0"] = allowedOrigin;
        }

        await using var server = await CharWebServer.StartAsync(settings: settings);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chardevs") { Content = Json(CreateBody) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin == Self ? server.BaseAddress.GetLeftPart(UriPartial.Authority) : origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        using var response = await server.Http.SendAsync(request, CharWebServer.Timeout());

        var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        using var after = await server.Http.GetAsync("/api/chardevs/made", CharWebServer.Timeout());
        if (expected == HttpStatusCode.Forbidden)
        {
            var problem = await Problem.ReadAsync(response);
            Assert.Equal("urn:charweb:problem:cross-site", problem.Type);
            Assert.Contains("origin", problem.Errors.Keys);
            Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
    }

    [Fact]
    public async Task HostHeaderOutsideTheDefaultLoopbackNamesIsRefused()
    {
        await using var server = await CharWebServer.StartAsync();
        var port = server.BaseAddress.Port;

        Assert.Equal(HttpStatusCode.BadRequest, await HealthWithHostAsync(server, "evil.example"));
        Assert.Equal(HttpStatusCode.BadRequest, await HealthWithHostAsync(server, $"evil.example:{port}"));
        Assert.Equal(HttpStatusCode.OK, await HealthWithHostAsync(server, $"localhost:{port}"));
        Assert.Equal(HttpStatusCode.OK, await HealthWithHostAsync(server, $"127.0.0.1:{port}"));
    }

    [Fact]
    public async Task ConfiguredAllowedHostsReplaceTheDefault()
    {
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["AllowedHosts"] = "console.lab" });

        Assert.Equal(HttpStatusCode.OK, await HealthWithHostAsync(server, "console.lab"));
        Assert.Equal(HttpStatusCode.BadRequest, await HealthWithHostAsync(server, "evil.example"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData(null)]
    public async Task QmpCommandThatIsNotDeclaredJsonIsUnsupportedAndRunsNothing(string? contentType)
    {
        await using var server = await CharWebServer.StartAsync();
        const string add = """{"execute": "chardev-add", "arguments": {"id": "via-qmp", "backend": {"type": "null", "data": {}}}}""";
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(add));
        if (contentType is not null)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        using var refused = await server.Http.PostAsync("/api/qmp", content, CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
        Assert.Equal("urn:charweb:problem:unsupported-media-type", (await Problem.ReadAsync(refused)).Type);
        using var absent = await server.Http.GetAsync("/api/chardevs/via-qmp", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);

        // The same command as JSON runs, so the refusal above was the media type's.
        using var accepted = await server.PostJsonAsync("/api/qmp", add);
        Assert.Equal("""{"return":{}}""", await accepted.Content.ReadAsStringAsync(CharWebServer.Timeout()));
        Assert.Equal("via-qmp", (await server.GetAsync("via-qmp"))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConsolePageForbidsForeignScriptsFramingAndSniffing()
    {
        await using var server = await CharWebServer.StartAsync();

        using var page = await server.Http.GetAsync("/", CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        var directives = policy.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(d => d.Split(' ')[0], d => d, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("script-src 'self' 'wasm-unsafe-eval'", directives.GetValueOrDefault("script-src"));
        Assert.Equal("frame-ancestors 'self'", directives.GetValueOrDefault("frame-ancestors"));
        Assert.Equal("nosniff", string.Join(",", page.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task HubWebSocketFromAForeignOriginIsRefused()
    {
        await using var server = await CharWebServer.StartAsync();

        using var refused = new ClientWebSocket();
        refused.Options.CollectHttpResponseDetails = true;
        refused.Options.SetRequestHeader("Origin", "https://evil.example");
        var error = await Assert.ThrowsAsync<WebSocketException>(async () => await refused.ConnectAsync(await HubSocketAsync(server), CharWebServer.Timeout()));
        Assert.True(refused.HttpStatusCode == HttpStatusCode.Forbidden, $"expected 403, got {(int)refused.HttpStatusCode}: {error.Message}");

        // The same upgrade from the server's own page connects, so the refusal was the origin's.
        using var own = new ClientWebSocket();
        own.Options.CollectHttpResponseDetails = true;
        own.Options.SetRequestHeader("Origin", server.BaseAddress.GetLeftPart(UriPartial.Authority));
        await own.ConnectAsync(await HubSocketAsync(server), CharWebServer.Timeout());
        Assert.Equal(WebSocketState.Open, own.State);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, own.HttpStatusCode);
    }

    /// <summary>The WebSocket URL of a connection the hub just negotiated.</summary>
    private static async Task<Uri> HubSocketAsync(CharWebServer server)
    {
        using var negotiate = await server.Http.PostAsync("/hubs/console/negotiate?negotiateVersion=1", null, CharWebServer.Timeout());
        var answer = await ObjectAsync(negotiate, HttpStatusCode.OK);
        var token = answer["connectionToken"]!.GetValue<string>();
        return new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = "/hubs/console", Query = "id=" + Uri.EscapeDataString(token) }.Uri;
    }

    private static async Task<HttpStatusCode> HealthWithHostAsync(CharWebServer server, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Host = host;
        using var response = await server.Http.SendAsync(request, CharWebServer.Timeout());
        return response.StatusCode;
    }

    private static async Task AssertUnauthenticatedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("urn:charweb:problem:unauthenticated", (await Problem.ReadAsync(response)).Type);
    }

    private static async Task<JsonObject> ObjectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
