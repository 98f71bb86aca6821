using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;

namespace CharWeb.Api.Tests.Metrics;

/// <summary><c>/metrics</c> scraped and parsed: each <c>charweb_</c> series moves by exactly what happened to its chardev.</summary>
public sealed class ChardevMetricsTests
{
    private const string Output = "charweb_chardev_output_bytes_total";
    private const string OutputDropped = "charweb_chardev_output_dropped_bytes_total";
    private const string Input = "charweb_chardev_input_bytes_total";
    private const string InputDropped = "charweb_chardev_input_dropped_bytes_total";
    private const string Consoles = "charweb_chardev_consoles";
    private const string Lost = "charweb_chardev_console_lost_bytes_total";

    [Fact]
    public async Task ARestWriteMovesItsChardevsInputCounterByExactlyItsSizeAndNoOtherChardevs()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "rb", "backend": {"type": "ringbuf", "size": 4096}}""");
        await server.CreateAsync("""{"id": "other", "backend": {"type": "ringbuf", "size": 4096}}""");
        await WriteAsync(server, "rb", 100);
        var before = await Scrape.GetAsync(server);

        await WriteAsync(server, "rb", 1234);
        var after = await Scrape.GetAsync(server);

        Assert.Equal(1234, after.Of(Input, "rb") - before.Of(Input, "rb"));
        Assert.Equal(1334, after.Of(Input, "rb"));
        Assert.Equal(0, after.Of(Input, "other"));
        Assert.Equal(1334, after.Value("charweb_input_bytes_total"));
        Assert.Equal("counter", after.Types["charweb_chardev_input_bytes_total"]);
    }

    [Fact]
    public async Task OutputMovesByExactlyWhatATestdevEchoesToItsConsoleAndNothingIsDropped()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server);
        await console.AttachAsync("echo");
        var before = await Scrape.GetAsync(server);

        await WriteAsync(server, "echo", 777);
        await console.WaitForReceivedAsync(777, CharWebServer.Timeout());
        var after = await Scrape.GetAsync(server);

        Assert.Equal(777, after.Of(Output, "echo") - before.Of(Output, "echo"));
        Assert.Equal(777, console.Received);
        Assert.Equal(0, after.Of(OutputDropped, "echo"));
        Assert.Equal(777, after.Of(Input, "echo"));
    }

    [Fact]
    public async Task OutputWithNoConsoleAttachedIsCountedAsDropped()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "alone", "backend": {"type": "testdev"}}""");

        await WriteAsync(server, "alone", 4321);
        var scrape = await Scrape.GetAsync(server);

        Assert.Equal(4321, scrape.Of(Output, "alone"));
        Assert.Equal(4321, scrape.Of(OutputDropped, "alone"));
        Assert.Equal(4321, scrape.Value("charweb_output_dropped_bytes_total"));
        Assert.Equal(0, scrape.Of(Consoles, "alone"));
    }

    [Fact]
    public async Task InputToADeviceSideNotConnectedIsCountedAsInputDroppedAndTheChardevIsNotUp()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "waiting", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true, "wait": false}}""");
        await server.CreateAsync("""{"id": "open", "backend": {"type": "testdev"}}""");

        using var response = await server.PostJsonAsync("/api/chardevs/waiting/write", Body(300));
        Assert.Equal(0, (await response.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["accepted"]!.GetValue<int>());
        var scrape = await Scrape.GetAsync(server);

        Assert.Equal(300, scrape.Of(InputDropped, "waiting"));
        Assert.Equal(0, scrape.Of(Input, "waiting"));
        Assert.Equal(0, scrape.Of("charweb_chardev_up", "waiting"));
        Assert.Equal(1, scrape.Of("charweb_chardev_up", "open"));
        Assert.Equal(1, scrape.Value("charweb_chardevs", ("state", "listening")));
        Assert.Equal(1, scrape.Value("charweb_chardevs", ("state", "open")));
        Assert.Equal(0, scrape.Value("charweb_chardevs", ("state", "failed")));
    }

    [Fact]
    public async Task TheConsolesGaugeFollowsAttachAndDetach()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "shared", "backend": {"type": "testdev"}}""");
        Assert.Equal(0, (await Scrape.GetAsync(server)).Of(Consoles, "shared"));

        await using var first = await HubConsole.ConnectAsync(server);
        await using var second = await HubConsole.ConnectAsync(server);
        await first.AttachAsync("shared");
        await second.AttachAsync("shared");
        var two = await Scrape.GetAsync(server);
        await first.DetachAsync();
        // The console that stays hears the count drop: the server has detached the first by then.
        await second.WaitForEventAsync("consoles", e => e.Number("consoles") == 1);
        var one = await Scrape.GetAsync(server);
        await second.DetachAsync();
        var none = await Scrape.UntilAsync(server, s => s.Of(Consoles, "shared") == 0, "the last console is detached");

        Assert.Equal(2, two.Of(Consoles, "shared"));
        Assert.Equal(2, two.Value("charweb_consoles"));
        Assert.Equal(1, one.Of(Consoles, "shared"));
        Assert.Equal(0, none.Value("charweb_consoles"));
    }

    [Fact]
    public async Task BytesAConsoleLostStayCountedOnItsChardevAfterTheConsoleLeaves()
    {
        // A write larger than a console's buffer is lost to it whole, so the loss is exact.
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh(new Dictionary<string, string?> { ["CharWeb:Console:BufferBytes"] = "4096" }));
        await server.CreateAsync("""{"id": "fast", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server);
        await console.AttachAsync("fast");

        await WriteAsync(server, "fast", 8192);
        var lostByTheConsole = (await HubConsole.ListAsync(server, "fast")).Single()!["bytesLost"]!.GetValue<long>();
        var attached = await Scrape.GetAsync(server);
        await console.DetachAsync();
        var gone = await Scrape.UntilAsync(server, s => s.Of(Consoles, "fast") == 0, "the console is detached");

        Assert.Equal(8192, lostByTheConsole);
        Assert.Equal(8192, attached.Of(Lost, "fast"));
        Assert.Equal(8192, gone.Of(Lost, "fast"));
        Assert.Equal(8192, gone.Value("charweb_console_lost_bytes_total"));
    }

    [Fact]
    public async Task ServerTotalsKeepWhatARemovedChardevCountedAndItsSeriesGo()
    {
        await using var server = await CharWebServer.StartAsync(settings: Scrape.Fresh());
        await server.CreateAsync("""{"id": "stays", "backend": {"type": "testdev"}}""");
        await server.CreateAsync("""{"id": "goes", "backend": {"type": "testdev"}}""");
        await WriteAsync(server, "stays", 40);
        await WriteAsync(server, "goes", 60);
        var before = await Scrape.GetAsync(server);

        await RemoveAsync(server, "goes");
        var after = await Scrape.GetAsync(server);

        Assert.Equal(100, before.Value("charweb_output_bytes_total"));
        Assert.Equal(100, after.Value("charweb_output_bytes_total"));
        Assert.Equal(100, after.Value("charweb_input_bytes_total"));
        Assert.True(before.Has(Output, ("chardev", "goes")));
        Assert.False(after.Has(Output, ("chardev", "goes")), "a removed chardev's series must leave the scrape");
        Assert.Equal(40, after.Of(Output, "stays"));
    }

    internal static string Body(int size) =>
        $$"""{"data": "{{Convert.ToBase64String(Enumerable.Range(0, size).Select(i => (byte)('a' + (i % 26))).ToArray())}}", "format": "base64"}""";

    internal static async Task RemoveAsync(CharWebServer server, string id)
    {
        using var removed = await server.Http.DeleteAsync($"/api/chardevs/{id}", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
    }

    internal static async Task WriteAsync(CharWebServer server, string id, int size)
    {
        using var response = await server.PostJsonAsync($"/api/chardevs/{id}/write", Body(size));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(size, (await response.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["accepted"]!.GetValue<int>());
    }
}
