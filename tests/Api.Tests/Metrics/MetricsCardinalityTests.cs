namespace CharWeb.Api.Tests.Metrics;

/// <summary>
/// The label policy: one set of series per chardev, labelled <c>chardev</c> only, up to
/// <c>CharWeb:Metrics:MaxChardevSeries</c> chardevs; beyond that server totals only.
/// </summary>
public sealed class MetricsCardinalityTests
{
    private const string Output = "charweb_chardev_output_bytes_total";

    [Fact]
    public async Task PerChardevSeriesCarryTheChardevLabelAndNothingFiner()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "a", "backend": {"type": "testdev"}}""");
        await using var console = await Hubs.HubConsole.ConnectAsync(server);
        await console.AttachAsync("a");

        var scrape = await Scrape.GetAsync(server);

        var charweb = scrape.Samples.Where(s => s.Name.StartsWith("charweb_", StringComparison.Ordinal)).ToList();
        Assert.Contains(charweb, s => s.Name == "charweb_chardev_consoles");
        var labels = charweb.SelectMany(s => s.Labels.Keys).ToHashSet();
        Assert.Subset(new HashSet<string> { "chardev", "state", "kind", "le" }, labels);
        Assert.All(charweb.Where(s => s.Name.StartsWith("charweb_chardev_", StringComparison.Ordinal)), s => Assert.Equal(["chardev"], s.Labels.Keys));
    }

    [Fact]
    public async Task AboveTheMaximumNoChardevHasSeriesTotalsStayAndBelowItTheyComeBack()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh(new Dictionary<string, string?> { ["CharWeb:Metrics:MaxChardevSeries"] = "2" }));
        foreach (var id in new[] { "a", "b", "c" })
        {
            await server.CreateAsync($$$"""{"id": "{{{id}}}", "backend": {"type": "testdev"}}""");
            await ChardevMetricsTests.WriteAsync(server, id, 10);
        }

        var over = await Scrape.GetAsync(server);
        await ChardevMetricsTests.RemoveAsync(server, "c");
        var under = await Scrape.GetAsync(server);

        Assert.DoesNotContain(over.Samples, s => s.Labels.ContainsKey("chardev"));
        Assert.Equal(0, over.Value("charweb_metrics_chardevs_exported"));
        Assert.Equal(30, over.Value("charweb_output_bytes_total"));
        Assert.Equal(3, over.Value("charweb_chardevs", ("state", "open")));
        Assert.Equal(2, under.Value("charweb_metrics_chardevs_exported"));
        Assert.Equal(10, under.Of(Output, "a"));
        Assert.Equal(10, under.Of(Output, "b"));
        Assert.Equal(30, under.Value("charweb_output_bytes_total"));
    }

    [Theory]
    [InlineData("CharWeb:Metrics:MaxChardevSeries")]
    [InlineData("CharWeb:Limits:MaxChardevs")]
    public async Task ManyChardevsComingAndGoingNeverOverflowTheExporterNorResetALiveOne(string bound)
    {
        // At most 2 chardevs with series (either limit): the exporter has 5 slots per series; 12 ids come and go through them.
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh(new Dictionary<string, string?> { [bound] = "2" }));
        await server.CreateAsync("""{"id": "keep", "backend": {"type": "testdev"}}""");
        await ChardevMetricsTests.WriteAsync(server, "keep", 10);
        var mismatches = new List<string>();
        for (var i = 1; i <= 12; i++)
        {
            var id = $"churn{i}";
            await server.CreateAsync($$$"""{"id": "{{{id}}}", "backend": {"type": "testdev"}}""");
            await ChardevMetricsTests.WriteAsync(server, id, i);
            var scrape = await Scrape.GetAsync(server);
            await ChardevMetricsTests.RemoveAsync(server, id);

            if (scrape.Samples.FirstOrDefault(s => s.Labels.ContainsKey("otel_metric_overflow")) is { } overflow)
            {
                mismatches.Add($"round {i}: the exporter ran out of series slots: {overflow}");
            }

            if (scrape.All(Output, ("chardev", id)).SingleOrDefault()?.Value != i || scrape.All(Output, ("chardev", "keep")).SingleOrDefault()?.Value != 10)
            {
                mismatches.Add($"round {i}: {string.Join("; ", scrape.All(Output))}");
            }

            if (scrape.Value("charweb_output_bytes_total") != 10 + (i * (i + 1) / 2))
            {
                mismatches.Add($"round {i}: total {scrape.Value("charweb_output_bytes_total")}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }
}
