using System.Net;
using CharWeb.Api.Tests.Access;

namespace CharWeb.Api.Tests.Metrics;

/// <summary>Who may scrape <c>/metrics</c>: the app's own access rules, with <c>CharWeb:Metrics:Role</c> (admin by default).</summary>
public sealed class MetricsAccessTests
{
    [Fact]
    public async Task OnLoopbackWithNoCredentialsTheScrapeIsServedButARelayedOrCrossSiteOneIsRefused()
    {
        await using var server = await CharWebServer.StartAsync();

        var local = await Scrape.GetAsync(server);
        using var relayed = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        relayed.Headers.Add("X-Forwarded-For", "203.0.113.7");
        using var relayedAnswer = await server.Http.SendAsync(relayed, CharWebServer.Timeout());
        using var crossSite = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        crossSite.Headers.Add("Origin", "http://evil.example");
        using var crossSiteAnswer = await server.Http.SendAsync(crossSite, CharWebServer.Timeout());

        Assert.True(local.Has("charweb_chardevs", ("state", "open")));
        Assert.Equal(HttpStatusCode.Unauthorized, relayedAnswer.StatusCode);
        Assert.StartsWith("Bearer", relayedAnswer.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("charweb_", await relayedAnswer.Content.ReadAsStringAsync(CharWebServer.Timeout()), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, crossSiteAnswer.StatusCode);
        Assert.Equal("cross-site", (await Problem.ReadAsync(crossSiteAnswer)).Type.Split(':').Last());
    }

    [Fact]
    public async Task WithoutTheLoopbackDefaultOnlyAnAdminKeyScrapes()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings(anonymousLoopback: false));

        var answers = new Dictionary<string, HttpStatusCode>();
        foreach (var (name, key) in new[] { ("none", (string?)null), ("viewer", TestKeys.Viewer), ("operator", TestKeys.Operator), ("admin", TestKeys.Admin) })
        {
            using var client = TestKeys.Client(server, key);
            using var response = await client.GetAsync("/metrics", CharWebServer.Timeout());
            answers[name] = response.StatusCode;
        }

        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var scrape = await Scrape.GetAsync(server, admin);
        Assert.Equal(HttpStatusCode.Unauthorized, answers["none"]);
        Assert.Equal(HttpStatusCode.Forbidden, answers["viewer"]);
        Assert.Equal(HttpStatusCode.Forbidden, answers["operator"]);
        Assert.Equal(HttpStatusCode.OK, answers["admin"]);
        Assert.True(scrape.Has("charweb_metrics_chardevs_exported"));
    }

    [Fact]
    public async Task MetricsRoleViewerLetsAViewerKeyScrapeAndStillNoAnonymousCaller()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings(anonymousLoopback: false, new Dictionary<string, string?> { ["CharWeb:Metrics:Role"] = "viewer" }));
        using var viewer = TestKeys.Client(server, TestKeys.Viewer);
        using var anonymous = TestKeys.Client(server, null);

        var scrape = await Scrape.GetAsync(server, viewer);
        using var refused = await anonymous.GetAsync("/metrics", CharWebServer.Timeout());

        Assert.True(scrape.Has("charweb_consoles"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task AMetricsRoleThatIsNoRoleStopsTheStartNamingTheKey()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["CharWeb:Metrics:Role"] = "root" });
        });

        Assert.Contains("CharWeb:Metrics:Role", error.Message, StringComparison.Ordinal);
    }
}
