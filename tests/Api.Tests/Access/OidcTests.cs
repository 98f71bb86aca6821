using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CharWeb.Api.Tests.Browser;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;

namespace CharWeb.Api.Tests.Access;

/// <summary>
/// CharWeb against a real OpenID Connect provider: its JWTs on REST and on the hub, and a person
/// logging in through the provider's page in Chromium. Roles come from the provider's groups.
/// </summary>
[Collection(nameof(OidcLogins))]
public sealed class OidcTests
{
    private const string EchoJson = """{"id": "echo", "history": 65536, "backend": {"type": "testdev"}}""";

    [Fact]
    public async Task AnOperatorsJwtNamesHerOnApiMe()
    {
        await using var lab = await OidcLab.StartAsync();
        using var olivia = await lab.ClientAsync("olivia", "olivia-pw");

        using var response = await olivia.GetAsync("/api/me", CharWebServer.Timeout());
        var me = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("olivia", me["name"]!.GetValue<string>());
        Assert.Equal("operator", me["role"]!.GetValue<string>());
        Assert.Equal("jwt", me["via"]!.GetValue<string>());
        Assert.Contains("lab-ops", me["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
    }

    [Fact]
    public async Task AnOperatorsJwtMayWriteButNotCreateAChardev()
    {
        await using var lab = await OidcLab.StartAsync();
        await lab.CreateAsync(EchoJson);
        using var olivia = await lab.ClientAsync("olivia", "olivia-pw");

        using var write = await olivia.PostAsync("/api/chardevs/echo/write", Json("""{"data": "from olivia"}"""), CharWebServer.Timeout());
        using var create = await olivia.PostAsync("/api/chardevs", Json("""{"id": "mine", "backend": {"type": "null"}}"""), CharWebServer.Timeout());
        var refused = await ReadJsonAsync(create);

        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal("urn:charweb:problem:forbidden", refused["type"]!.GetValue<string>());
        Assert.Equal("admin", refused["requiredRole"]!.GetValue<string>());
        Assert.Contains("olivia", refused["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnAdminsJwtMayCreateAChardev()
    {
        await using var lab = await OidcLab.StartAsync();
        using var alice = await lab.ClientAsync("alice", "alice-pw");

        using var create = await alice.PostAsync("/api/chardevs", Json("""{"id": "alices", "backend": {"type": "null"}}"""), CharWebServer.Timeout());
        var body = await create.Content.ReadAsStringAsync(CharWebServer.Timeout());

        Assert.True(create.StatusCode == HttpStatusCode.Created, $"create answered {(int)create.StatusCode}: {body}");
        Assert.Contains("alices", (await lab.Admin.GetFromJsonAsync<JsonArray>("/api/chardevs", CharWebServer.Timeout()))!.Select(c => c!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AJwtInNoGroupHasNoRoleAndMayNotListChardevs()
    {
        await using var lab = await OidcLab.StartAsync();
        using var nobody = await lab.ClientAsync("nobody", "nobody-pw");

        using var meResponse = await nobody.GetAsync("/api/me", CharWebServer.Timeout());
        var me = await ReadJsonAsync(meResponse);
        using var list = await nobody.GetAsync("/api/chardevs", CharWebServer.Timeout());
        var refused = await ReadJsonAsync(list);

        Assert.Equal(HttpStatusCode.OK, meResponse.StatusCode);
        Assert.Equal("nobody", me["name"]!.GetValue<string>());
        Assert.Null(me["role"]);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal("viewer", refused["requiredRole"]!.GetValue<string>());
    }

    [Fact]
    public async Task ATamperedJwtIsRefusedWithABearerChallenge()
    {
        await using var lab = await OidcLab.StartAsync();
        var jwt = await lab.Idp.PasswordTokenAsync("alice", "alice-pw", CharWebServer.Timeout());
        using var genuine = TestKeys.Client(lab.Server, jwt);
        using var tampered = TestKeys.Client(lab.Server, Tamper(jwt));

        using var accepted = await genuine.GetAsync("/api/me", CharWebServer.Timeout());
        using var response = await tampered.GetAsync("/api/me", CharWebServer.Timeout());
        var problem = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("urn:charweb:problem:unauthenticated", problem["type"]!.GetValue<string>());
        Assert.Equal("/auth/login", problem["login"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnOperatorsJwtOnTheHubAttachesWritesAndReceivesTheEcho()
    {
        await using var lab = await OidcLab.StartAsync();
        await lab.CreateAsync(EchoJson);
        var jwt = await lab.Idp.PasswordTokenAsync("olivia", "olivia-pw", CharWebServer.Timeout());
        await using var console = await JwtConsole.ConnectAsync(lab.Server, jwt);
        await console.AttachAsync("echo");

        var accepted = await console.Connection.InvokeAsync<int>("Write", "echo", "ping"u8.ToArray(), CharWebServer.Timeout());
        var received = await console.ReceiveUntilAsync("ping");

        Assert.Equal(4, accepted);
        Assert.Equal("ping", received);
    }

    [Fact]
    public async Task AViewersJwtOnTheHubWatchesButItsWriteIsRefusedAsReadOnlyAndTheConnectionStays()
    {
        await using var lab = await OidcLab.StartAsync();
        await lab.CreateAsync(EchoJson);
        var jwt = await lab.Idp.PasswordTokenAsync("victor", "victor-pw", CharWebServer.Timeout());
        await using var console = await JwtConsole.ConnectAsync(lab.Server, jwt);
        await console.AttachAsync("echo");

        var refused = await Assert.ThrowsAsync<HubException>(() => console.Connection.InvokeAsync<int>("Write", "echo", "typed"u8.ToArray(), CharWebServer.Timeout()));
        using (var write = await lab.Admin.PostAsync("/api/chardevs/echo/write", Json("""{"data": "still watching"}"""), CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        }

        var received = await console.ReceiveUntilAsync("still watching");
        var again = await Assert.ThrowsAsync<HubException>(() => console.Connection.InvokeAsync<int>("Write", "echo", "typed"u8.ToArray(), CharWebServer.Timeout()));

        Assert.Contains("read-only", refused.Message);
        Assert.Contains("read-only", again.Message);
        Assert.Equal("still watching", received);
        Assert.Equal(HubConnectionState.Connected, console.Connection.State);
    }

    [Fact]
    public async Task AHubConnectionWithoutATokenIsRefusedWith401WhenLoopbackIsNotAnonymous()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings(anonymousLoopback: false));
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, "hubs/console")).Build();

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync(CharWebServer.Timeout()));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task APersonLogsInThroughTheProviderInChromiumAndTypesAsOlivia()
    {
        await using var lab = await OidcLab.StartAsync();
        await lab.CreateAsync(EchoJson);
        using (var before = await lab.Admin.PostAsync("/api/chardevs/echo/write", Json("""{"data": "before login\r\n"}"""), CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using (var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = lab.Server.BaseAddress })
        using (var login = await noRedirects.GetAsync("/auth/login?returnUrl=%2F", CharWebServer.Timeout()))
        {
            // CharWeb reads the provider's metadata here, once, before the browser's clock runs.
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            Assert.StartsWith(lab.Idp.Authority.ToString(), login.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(new Uri(lab.Server.BaseAddress, "/?console=echo"));

        await page.Locator("#signin").WaitForAsync();
        await page.Locator("#login").WaitForAsync();
        Assert.True(await page.Locator("#login-row").IsVisibleAsync());
        // The page's script has set the link's returnUrl before the click; the provider's page counts once its URL is
        // there, and its form is waited for below, rather than on every resource's load under a busy suite.
        await page.Locator("#login[href*='returnUrl']").WaitForAsync();
        await page.Locator("#login").ClickAsync();
        await page.WaitForURLAsync(
            url => url.StartsWith(new Uri(lab.Idp.Authority, "login").ToString(), StringComparison.Ordinal),
            new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.Locator("#username").FillAsync("olivia");
        await page.Locator("#password").FillAsync("olivia-pw");
        await page.Locator("#login").ClickAsync();
        await page.WaitForURLAsync(new Uri(lab.Server.BaseAddress, "/?console=echo").ToString());

        var me = page.Locator("#me", new PageLocatorOptions { HasText = "olivia" });
        await me.WaitForAsync();
        Assert.Contains("operator", await me.TextContentAsync());
        await BrowserSession.WaitForTerminalTextAsync(page, "before login");
        await page.Locator("#writer", new PageLocatorOptions { HasText = "you hold the writer seat" }).WaitForAsync();
        await page.Locator("#terminal").ClickAsync();
        await page.Keyboard.TypeAsync("hello as olivia");
        await BrowserSession.WaitForTerminalTextAsync(page, "hello as olivia");

        var consoles = (await lab.Admin.GetFromJsonAsync<JsonArray>("/api/chardevs/echo/consoles", CharWebServer.Timeout()))!;
        var console = Assert.Single(consoles)!;
        Assert.Equal("olivia", console["user"]!.GetValue<string>());
        Assert.False(console["readOnly"]!.GetValue<bool>());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
        return JsonNode.Parse(body)?.AsObject() ?? throw new InvalidOperationException($"{(int)response.StatusCode} with no JSON body: {body}");
    }

    /// <summary>The JWT with one character of its signature changed (a middle one: the last may only carry padding bits).</summary>
    private static string Tamper(string jwt)
    {
        var signatureStart = jwt.LastIndexOf('.') + 1;
        var at = signatureStart + ((jwt.Length - signatureStart) / 2);
        var chars = jwt.ToCharArray();
        chars[at] = chars[at] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    /// <summary>A provider and a CharWeb that trusts it, mapping lab-admins, lab-ops and lab-viewers to the three roles.</summary>
    private sealed class OidcLab : IAsyncDisposable
    {
        private OidcLab(OidcProvider idp, CharWebServer server)
        {
            Idp = idp;
            Server = server;
            Admin = TestKeys.Client(server, TestKeys.Admin);
        }

        public OidcProvider Idp { get; }

        public CharWebServer Server { get; }

        /// <summary>A client with the declared admin API key.</summary>
        public HttpClient Admin { get; }

        public static async Task<OidcLab> StartAsync()
        {
            var ct = CharWebServer.Timeout();
            // The provider must know CharWeb's redirect URI, so CharWeb's port is chosen first.
            var port = CharWebServer.FreePort();
            var idp = await OidcProvider.StartAsync($"http://127.0.0.1:{port}", ct);
            try
            {
                var server = await CharWebServer.StartAsync(port: port, settings: TestKeys.Settings(more: new Dictionary<string, string?>
                {
                    ["CharWeb:Auth:Oidc:Authority"] = idp.Authority.ToString(),
                    ["CharWeb:Auth:Oidc:ClientId"] = OidcProvider.ClientId,
                    ["CharWeb:Auth:Oidc:ClientSecret"] = OidcProvider.ClientSecret,
                    ["CharWeb:Auth:Oidc:Audience"] = OidcProvider.Audience,
                    ["CharWeb:Auth:Oidc:RequireHttpsMetadata"] = "false",
                    ["CharWeb:Auth:Oidc:AdminGroups:0"] = "lab-admins",
                    ["CharWeb:Auth:Oidc:OperatorGroups:0"] = "lab-ops",
                    ["CharWeb:Auth:Oidc:ViewerGroups:0"] = "lab-viewers",
                }));
                return new OidcLab(idp, server);
            }
            catch
            {
                await idp.DisposeAsync();
                throw;
            }
        }

        /// <summary>A client that sends <paramref name="user"/>'s JWT from the provider as its bearer token.</summary>
        public async Task<HttpClient> ClientAsync(string user, string password) =>
            TestKeys.Client(Server, await Idp.PasswordTokenAsync(user, password, CharWebServer.Timeout()));

        public async Task CreateAsync(string json)
        {
            using var response = await Admin.PostAsync("/api/chardevs", Json(json), CharWebServer.Timeout());
            var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"create answered {(int)response.StatusCode}: {body}");
        }

        public async ValueTask DisposeAsync()
        {
            Admin.Dispose();
            await Server.DisposeAsync();
            await Idp.DisposeAsync();
        }
    }

    /// <summary>A hub connection that signs in with a JWT (the .NET client's AccessTokenProvider) and keeps what its attach stream receives.</summary>
    private sealed class JwtConsole : IAsyncDisposable
    {
        private readonly StringBuilder _received = new();
        private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ChannelReader<byte[]>? _stream;

        private JwtConsole(HubConnection connection)
        {
            Connection = connection;
            // The server counts a console once it is attached and says so with a "consoles" event.
            connection.On<string, Dictionary<string, JsonElement>>("ChardevEvent", (_, e) =>
            {
                if (e.TryGetValue("kind", out var kind) && kind.GetString() == "consoles")
                {
                    _attached.TrySetResult();
                }
            });
        }

        public HubConnection Connection { get; }

        public static async Task<JwtConsole> ConnectAsync(CharWebServer server, string jwt)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(server.BaseAddress, "hubs/console"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(jwt))
                .Build();
            var console = new JwtConsole(connection);
            await connection.StartAsync(CharWebServer.Timeout());
            return console;
        }

        /// <summary>Attaches and returns once the server has counted this console.</summary>
        public async Task AttachAsync(string id)
        {
            _stream = await Connection.StreamAsChannelAsync<byte[]>("Attach", id, CharWebServer.Timeout(120)).WaitAsync(CharWebServer.Timeout());
            await _attached.Task.WaitAsync(CharWebServer.Timeout());
        }

        /// <summary>Reads the attach stream until <paramref name="text"/> has arrived; answers everything received so far.</summary>
        public async Task<string> ReceiveUntilAsync(string text)
        {
            var timeout = CharWebServer.Timeout();
            var stream = _stream ?? throw new InvalidOperationException("not attached");
            while (!_received.ToString().Contains(text, StringComparison.Ordinal))
            {
                _received.Append(Encoding.UTF8.GetString(await stream.ReadAsync(timeout)));
            }

            return _received.ToString();
        }

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}
