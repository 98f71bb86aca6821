using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Browser;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CharWeb.Api.Tests.Access;

/// <summary>
/// A web page from another origin, open in the same browser as a CharWeb on loopback (where a caller
/// with no credentials is admin), must not be able to drive it: not through QMP, not through the hub.
/// </summary>
public sealed class CrossSitePageTests
{
    private const string EvilCommand = """{"execute":"chardev-add","arguments":{"id":"evil","backend":{"type":"null","data":{}}}}""";

    [Fact]
    public async Task APageFromAnotherOriginCanNeitherAddAChardevNorOpenTheHub()
    {
        await using var server = await CharWebServer.StartAsync();
        var charweb = server.BaseAddress.GetLeftPart(UriPartial.Authority);
        var hub = $"ws://{server.BaseAddress.Authority}/hubs/console";
        await using var evil = await EvilSite.StartAsync(AttackPage(charweb, hub));
        await using var browser = await BrowserSession.StartAsync();

        var page = await browser.OpenAsync(evil.BaseAddress);
        await page.WaitForFunctionAsync("() => window.done !== undefined");
        var done = await page.EvaluateAsync<JsonElement>("() => window.done");
        var chardevs = await server.ListAsync();

        Assert.Equal("sent", done.GetProperty("noCors").GetString());
        Assert.StartsWith("error", done.GetProperty("cors").GetString());
        Assert.Equal("error", done.GetProperty("ws").GetString());
        Assert.DoesNotContain("evil", chardevs.Select(c => c!["id"]!.GetValue<string>()));

        // The command itself is sound: sent by a client that is not a browser page, it adds the chardev.
        using var control = await server.PostJsonAsync("/api/qmp", EvilCommand);
        Assert.Equal(HttpStatusCode.OK, control.StatusCode);
        Assert.Contains("evil", (await server.ListAsync()).Select(c => c!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task HubNegotiateFromAnotherOriginIsRefusedAndFromItsOwnIsAnswered()
    {
        await using var server = await CharWebServer.StartAsync();
        var other = $"http://127.0.0.1:{CharWebServer.FreePort()}";

        using var foreign = await NegotiateAsync(server, other);
        var problem = JsonNode.Parse(await foreign.Content.ReadAsStringAsync(CharWebServer.Timeout()))!;
        using var own = await NegotiateAsync(server, server.BaseAddress.GetLeftPart(UriPartial.Authority));

        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal("urn:charweb:problem:cross-site", problem["type"]!.GetValue<string>());
        Assert.Contains(other, problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.NotNull((await own.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["connectionToken"]);
    }

    [Fact]
    public async Task AnAllowedOriginMayNegotiateWithTheHub()
    {
        var other = $"http://127.0.0.1:{CharWebServer.FreePort()}";
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["CharWeb:Auth:AllowedOrigins:0"] = other });

        using var allowed = await NegotiateAsync(server, other);
        using var stranger = await NegotiateAsync(server, $"http://127.0.0.1:{CharWebServer.FreePort()}");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
    }

    private static async Task<HttpResponseMessage> NegotiateAsync(CharWebServer server, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/console/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", origin);
        return await server.Http.SendAsync(request, CharWebServer.Timeout());
    }

    /// <summary>
    /// What a hostile page would try: (a) a no-cors POST to QMP (the browser sends it, the page cannot
    /// read the answer), (b) the same as JSON (needs a CORS preflight), (c) a WebSocket to the hub.
    /// </summary>
    private static string AttackPage(string charweb, string hub) =>
        $$$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>A page on another origin</title></head>
        <body>
        <p>nothing to see here</p>
        <script>
        (async () => {
          const add = '{{{EvilCommand}}}';
          const result = {};
          try {
            await fetch('{{{charweb}}}/api/qmp', { method: 'POST', mode: 'no-cors', body: add });
            result.noCors = 'sent';
          } catch (e) {
            result.noCors = 'error: ' + e.message;
          }
          try {
            const r = await fetch('{{{charweb}}}/api/qmp', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: add });
            result.cors = 'answered ' + r.status;
          } catch (e) {
            result.cors = 'error: ' + e.message;
          }
          result.ws = await new Promise(resolve => {
            const ws = new WebSocket('{{{hub}}}');
            ws.onopen = () => { resolve('open'); ws.close(); };
            ws.onerror = () => resolve('error');
            ws.onclose = () => resolve('error');
          });
          window.done = result;
        })();
        </script>
        </body>
        </html>
        """;

    /// <summary>Another web server on another loopback port: one HTML page, no Content-Security-Policy.</summary>
    private sealed class EvilSite : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly string _dir;

        private EvilSite(WebApplication app, string dir)
        {
            _app = app;
            _dir = dir;
            BaseAddress = new Uri(app.Urls.First());
        }

        public Uri BaseAddress { get; }

        public static async Task<EvilSite> StartAsync(string html)
        {
            // An empty content root: the test output's appsettings.json is CharWeb's, not this site's.
            var dir = Directory.CreateTempSubdirectory("charweb-evil-").FullName;
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = dir });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var app = builder.Build();
            app.MapGet("/", () => Results.Content(html, "text/html; charset=utf-8"));
            await app.StartAsync(CharWebServer.Timeout());
            return new EvilSite(app, dir);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CharWebServer.Timeout());
            await _app.DisposeAsync();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
