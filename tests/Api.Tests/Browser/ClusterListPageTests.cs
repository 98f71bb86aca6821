using System.Net.Http.Json;
using CharWeb.Api.Tests.Cluster;
using Microsoft.Playwright;

namespace CharWeb.Api.Tests.Browser;

/// <summary>The page on one node of a cluster lists every node's chardevs with their node, live, and opens a console on any of them.</summary>
public sealed class ClusterListPageTests
{
    [Fact]
    public async Task ThePageOnNodeAShowsBsChardevWithBAndUnreachableOnceBIsKilled()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(cluster["a"].BaseAddress);
        await page.Locator("#chardevs li[data-id=demo-a] .node", new PageLocatorOptions { HasText = "a" }).WaitForAsync();

        // Made on b while the page is open: it appears on a's page without a reload, naming b.
        using (var created = await ClusterNodes.CreateAsync(cluster["b"], """{"id": "rb-on-b", "backend": {"type": "ringbuf", "size": 4096}}"""))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        }

        var onB = page.Locator("#chardevs li[data-id=rb-on-b]");
        await onB.Locator(".node").WaitForAsync();
        Assert.Equal("b", await onB.Locator(".node").TextContentAsync());
        await onB.Locator(".dot.open").WaitForAsync();

        // b dies without a word: once its heartbeat expires (3 s here) a's page shows its chardevs unreachable.
        await cluster["b"].KillAsync();
        await onB.Locator(".dot.unreachable").WaitForAsync();
        Assert.Equal("unreachable", await onB.GetAttributeAsync("title"));
        await page.Locator("#chardevs li[data-id=demo-a] .dot.unreachable").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached, Timeout = 1_000 });
    }

    [Fact]
    public async Task ThePageOnNodeAOpensAConsoleOnBsChardevTypesIntoItAndAttachesAgainWhenBIsBack()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        using (var created = await ClusterNodes.CreateAsync(cluster["b"], """{"id": "echo-on-b", "history": 65536, "backend": {"type": "testdev"}}"""))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        }

        using (var written = await cluster["b"].Http.PostAsJsonAsync("/api/chardevs/echo-on-b/write", new { data = "written on b before anyone looked\r\n" }, CharWebServer.Timeout()))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, written.StatusCode);
        }

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(cluster["a"].BaseAddress);

        // Clicked in a's list as any chardev: a's hub relays b's console, history first.
        var onB = page.Locator("#chardevs li[data-id=echo-on-b]");
        await onB.Locator(".node", new LocatorLocatorOptions { HasText = "b" }).WaitForAsync();
        await onB.ClickAsync();
        await BrowserSession.WaitForTerminalTextAsync(page, "written on b before anyone looked");
        await page.Locator("#writer", new PageLocatorOptions { HasText = "you hold the writer seat" }).WaitForAsync();

        // Keys typed on a reach b's device, and its echo comes back through a.
        var before = await InputBytesAsync(cluster["b"]);
        await page.Locator("#terminal").ClickAsync();
        await page.Keyboard.TypeAsync("typed on a, echoed by b");
        await page.Keyboard.PressAsync("Enter");
        await BrowserSession.WaitForTerminalTextAsync(page, "typed on a, echoed by b");
        Assert.Equal(before + "typed on a, echoed by b\r".Length, await InputBytesAsync(cluster["b"]));
        var onOwner = await cluster["b"].Http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/chardevs/echo-on-b", CharWebServer.Timeout());
        Assert.Equal(1, onOwner!["consoles"]!.GetValue<int>());
        // The page's first Resize, sent while a still attached through to b, waited for the console rather than failing.
        Assert.DoesNotContain("not attached", await page.Locator("#st-message").TextContentAsync() ?? "");
        await BrowserSession.ScreenshotAsync(page, "cluster-console.png");

        // b dies: the page says so and keeps its screen; b back: the page attaches again by itself, and b's new
        // history (empty after its restart) replaces the old screen.
        await cluster["b"].KillAsync();
        await page.Locator("#st-message", new PageLocatorOptions { HasText = "stopped answering" }).WaitForAsync();
        Assert.Contains("typed on a, echoed by b", await BrowserSession.TerminalTextAsync(page));
        await cluster.StartNodeAsync("b");
        await page.WaitForFunctionAsync("() => window.charweb.state.subscription !== null && window.charweb.state.awaitOwner === null", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        Assert.DoesNotContain("typed on a, echoed by b", await BrowserSession.TerminalTextAsync(page));
        await page.Locator("#terminal").ClickAsync();
        await page.Keyboard.TypeAsync("after b came back");
        await page.Keyboard.PressAsync("Enter");
        await BrowserSession.WaitForTerminalTextAsync(page, "after b came back");
    }

    private static async Task<long> InputBytesAsync(Reliability.PublishedServer owner) =>
        (await owner.Http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/chardevs/echo-on-b", CharWebServer.Timeout()))!["stats"]!["inputBytes"]!.GetValue<long>();

    [Fact]
    public async Task TheNewChardevFormOnNodeAOffersTheNodesAndCreatesOnB()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(cluster["a"].BaseAddress);
        await page.Locator("#chardevs li[data-id=demo-b] .node").WaitForAsync();

        await page.Locator("#new-chardev").ClickAsync();
        await page.Locator("#manage-title", new PageLocatorOptions { HasText = "New chardev" }).WaitForAsync();
        var node = page.Locator("#manage select[data-path='node']");
        await node.WaitForAsync();
        Assert.Equal(["a (this node)", "b"], await node.Locator("option").AllTextContentsAsync());
        await page.Locator("#manage [data-path='id']:not(fieldset)").FillAsync("made-from-a");
        await page.Locator("#manage [data-path='backend.type']:not(fieldset)").SelectOptionAsync("ringbuf");
        await node.SelectOptionAsync("b");
        await page.Locator("#manage-submit").ClickAsync();

        // Made on b, through a; the page opens it, listed with its node.
        await page.Locator("#title", new PageLocatorOptions { HasText = "made-from-a" }).WaitForAsync();
        var made = await cluster["b"].Http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/chardevs/made-from-a", CharWebServer.Timeout());
        Assert.Equal(("b", "ringbuf"), (made!["node"]!.GetValue<string>(), made["backend"]!["type"]!.GetValue<string>()));
        Assert.Equal("b", await page.Locator("#chardevs li[data-id=made-from-a] .node").TextContentAsync());
    }
}
