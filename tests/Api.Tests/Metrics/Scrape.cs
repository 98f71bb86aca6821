using System.Net;

namespace CharWeb.Api.Tests.Metrics;

/// <summary>Scrapes <c>/metrics</c> as Prometheus does and parses the answer.</summary>
internal static class Scrape
{
    /// <summary>Settings for a server whose every scrape collects afresh (no exporter cache), so a scrape after a write sees it.</summary>
    public static Dictionary<string, string?> Fresh(IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["CharWeb:Metrics:ScrapeCacheMilliseconds"] = "0" };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static async Task<PrometheusText> GetAsync(CharWebServer server, HttpClient? client = null)
    {
        using var response = await (client ?? server.Http).GetAsync("/metrics", CharWebServer.Timeout());
        var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/metrics answered {(int)response.StatusCode}: {body}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(body);
    }

    /// <summary>The value of a per-chardev series of <paramref name="id"/>.</summary>
    public static double Of(this PrometheusText scrape, string name, string id) => scrape.Value(name, ("chardev", id));

    /// <summary>Scrapes until <paramref name="condition"/> holds, for what the server raises no event about.</summary>
    public static async Task<PrometheusText> UntilAsync(CharWebServer server, Func<PrometheusText, bool> condition, string what)
    {
        PrometheusText? last = null;
        await Hubs.HubConsole.UntilAsync(async () => condition(last = await GetAsync(server)), what);
        return last!;
    }
}
