using CharWeb.Api.Tests.Cluster;
using Microsoft.Playwright;

namespace CharWeb.Api.Tests.Browser;

/// <summary>The page on one node of a cluster lists every node's chardevs with their node, live.</summary>
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
}
