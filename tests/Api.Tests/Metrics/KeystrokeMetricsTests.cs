using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Metrics;

/// <summary><c>charweb_keystroke_roundtrip_seconds</c>: a console's write to the first output after it, per backend kind.</summary>
public sealed class KeystrokeMetricsTests
{
    private const string RoundTrip = "charweb_keystroke_roundtrip_seconds";

    [Fact]
    public async Task AConsoleKeystrokeEchoedByATestdevIsOneSampleAndARestWriteIsNone()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server);
        await console.AttachAsync("echo");

        var accepted = await console.Connection.InvokeAsync<int>("Write", "echo", "x"u8.ToArray(), CharWebServer.Timeout());
        await console.WaitForReceivedAsync(1, CharWebServer.Timeout());
        var typed = await Scrape.GetAsync(server);
        await ChardevMetricsTests.WriteAsync(server, "echo", 5);
        await console.WaitForReceivedAsync(6, CharWebServer.Timeout());
        var rest = await Scrape.GetAsync(server);

        Assert.Equal(1, accepted);
        Assert.Equal("histogram", typed.Types[RoundTrip]);
        Assert.Equal(1, typed.Value(RoundTrip + "_count", ("kind", "testdev")));
        var sum = typed.Value(RoundTrip + "_sum", ("kind", "testdev"));
        Assert.InRange(sum, 0, 10);
        var buckets = typed.All(RoundTrip + "_bucket", ("kind", "testdev")).ToList();
        Assert.Equal(1, buckets.Single(b => b.Label("le") == "+Inf").Value);
        // Cumulative buckets: each holds every sample of the ones below it, and the sample sits at or under its bound.
        var ordered = buckets.OrderBy(b => double.Parse(b.Label("le")!.Replace("+Inf", "Infinity", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ordered.Select(b => b.Value).Order(), ordered.Select(b => b.Value));
        var first = ordered.First(b => b.Value == 1);
        Assert.True(sum <= double.Parse(first.Label("le")!.Replace("+Inf", "Infinity", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture), $"the sample {sum} s is counted in the bucket le={first.Label("le")}");
        Assert.Equal(1, rest.Value(RoundTrip + "_count", ("kind", "testdev")));
    }

    [Fact]
    public async Task AKeystrokeTheDeviceNeverTakesIsNotTimed()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "waiting", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true, "wait": false}}""");
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server);
        await console.AttachAsync("waiting");
        await using var echo = await HubConsole.ConnectAsync(server);
        await echo.AttachAsync("echo");

        var accepted = await console.Connection.InvokeAsync<int>("Write", "waiting", "y"u8.ToArray(), CharWebServer.Timeout());
        await echo.Connection.InvokeAsync<int>("Write", "echo", "z"u8.ToArray(), CharWebServer.Timeout());
        await echo.WaitForReceivedAsync(1, CharWebServer.Timeout());
        var scrape = await Scrape.GetAsync(server);

        Assert.Equal(0, accepted);
        Assert.False(scrape.Has(RoundTrip + "_count", ("kind", "socket")), "a write the device side did not take has no round trip");
        Assert.Equal(1, scrape.Value(RoundTrip + "_count", ("kind", "testdev")));
    }
}
