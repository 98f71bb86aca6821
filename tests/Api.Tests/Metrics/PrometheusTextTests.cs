namespace CharWeb.Api.Tests.Metrics;

/// <summary>The tests' own reader of the exposition format reads what Prometheus reads, and refuses what it would refuse.</summary>
public sealed class PrometheusTextTests
{
    [Fact]
    public void SamplesWithLabelsEscapesEmptyLabelSetsTimestampsAndSpecialValuesAreRead()
    {
        var text = PrometheusText.Parse("""
            # TYPE up gauge
            # HELP up Whether it is up.
            up{job="a \"quoted\" \\ path\nnext",instance="x:1"} 1
            plain 2.5e3 1700000000000
            empty{} 0
            h_bucket{le="+Inf"} +Inf
            nan NaN

            """);

        Assert.Equal("gauge", text.Types["up"]);
        Assert.Equal(5, text.Samples.Count);
        Assert.Equal("a \"quoted\" \\ path\nnext", text.Samples[0].Label("job"));
        Assert.Equal("x:1", text.Samples[0].Label("instance"));
        Assert.Equal(2500, text.Value("plain"));
        Assert.Equal(0, text.Value("empty"));
        Assert.Empty(text.Samples[2].Labels);
        Assert.Equal(double.PositiveInfinity, text.Value("h_bucket", ("le", "+Inf")));
        Assert.True(double.IsNaN(text.Value("nan")));
    }

    [Theory]
    [InlineData("up{job=\"a\"")]
    [InlineData("up{job=a} 1")]
    [InlineData("up 1 2 3")]
    [InlineData("up{job=\"a\",job=\"b\"} 1")]
    [InlineData("up one")]
    public void AMalformedLineIsRefusedNamingIt(string line)
    {
        var error = Assert.Throws<FormatException>(() => PrometheusText.Parse(line));

        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }
}
