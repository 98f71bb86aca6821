using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Access;
using Microsoft.Playwright;

namespace CharWeb.Api.Tests.Browser;

/// <summary>An admin manages chardevs from the page: a form built from the live OpenAPI document, in a real Chromium.</summary>
public sealed class AdminPageTests
{
    [Fact]
    public async Task AnAdminCreatesThreeKindsSeesARefusalBesideItsFieldFiltersChangesAndRemoves()
    {
        await using var server = await CharWebServer.StartAsync();
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(new Uri(server.BaseAddress, "/"));
        await page.Locator("#new-chardev").WaitForAsync();

        // A ringbuf with its size, a pty with nothing, a TCP server on any free port.
        await CreateAsync(page, "ring0", "ringbuf", async () => await Field(page, "backend.size").FillAsync("4096"));
        await CreateAsync(page, "tty0", "pty", () => Task.CompletedTask);
        await CreateAsync(page, "vm0", "socket", async () =>
        {
            await Field(page, "backend.addr.type").SelectOptionAsync("inet");
            await Field(page, "backend.addr.host").FillAsync("127.0.0.1");
            await Field(page, "backend.addr.port").FillAsync("0");
            await Field(page, "backend.server").CheckAsync();
            await Field(page, "history").FillAsync("8192");
        });
        var ring = await server.GetAsync("ring0");
        Assert.Equal("ringbuf", ring["backend"]!["type"]!.GetValue<string>());
        Assert.Equal(4096, ring["backend"]!["size"]!.GetValue<int>());
        Assert.Equal("pty", (await server.GetAsync("tty0"))["backend"]!["type"]!.GetValue<string>());
        var vm = await server.GetAsync("vm0");
        Assert.True(vm["backend"]!["server"]!.GetValue<bool>());
        Assert.Equal(8192, vm["history"]!.GetValue<int>());
        Assert.Equal("listening", vm["state"]!.GetValue<string>());

        // A port out of range: the server's reason appears beside that field, and nothing is created.
        await StartFormAsync(page, "bad0", "socket");
        await Field(page, "backend.addr.type").SelectOptionAsync("inet");
        await Field(page, "backend.addr.host").FillAsync("127.0.0.1");
        await Field(page, "backend.addr.port").FillAsync("99999");
        await page.Locator("#manage-submit").ClickAsync();
        var error = page.Locator("#manage [data-error-for='backend.addr.port']");
        await error.Locator("text=must be between 1 and 65535").WaitForAsync();
        Assert.True(await page.Locator("#manage").IsVisibleAsync());
        using (var missing = await server.Http.GetAsync("/api/chardevs/bad0", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        await BrowserSession.ScreenshotAsync(page, "admin-form-refused.png", fullPage: true);
        await page.Locator("#manage-cancel").ClickAsync();

        // The filter narrows the list as one types.
        var total = JsonNode.Parse(await server.Http.GetStringAsync("/api/chardevs", CharWebServer.Timeout()))!.AsArray().Count;
        await page.Locator("#filter").FillAsync("ring");
        await page.Locator("#count", new PageLocatorOptions { HasText = $"(1 of {total})" }).WaitForAsync();
        Assert.Equal(["ring0"], await ListedAsync(page));
        await page.Locator("#filter").FillAsync("pty");
        await page.Locator("#count", new PageLocatorOptions { HasText = $"(1 of {total})" }).WaitForAsync();
        Assert.Equal(["tty0"], await ListedAsync(page));
        await page.Locator("#filter").FillAsync("");
        await page.Locator("#count", new PageLocatorOptions { HasText = $"({total})" }).WaitForAsync();

        // Hot-swap ring0's backend to an echo; the console stays attached and sees the new device.
        await page.Locator("#chardevs li[data-id=ring0]").ClickAsync();
        await page.Locator("#title", new PageLocatorOptions { HasText = "ring0" }).WaitForAsync();
        await page.Locator("#change-backend").ClickAsync();
        await Field(page, "backend.type").SelectOptionAsync("testdev");
        await page.Locator("#manage-submit").ClickAsync();
        await page.Locator("#manage").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Hidden });
        Assert.Equal("testdev", (await server.GetAsync("ring0"))["backend"]!["type"]!.GetValue<string>());

        // A chardev a mux uses is busy: the 409 is shown and it stays. Its mux can go, with two clicks.
        await server.CreateAsync("""{"id": "m0", "backend": {"type": "mux", "chardevs": ["tty0"]}}""");
        await page.Locator("#chardevs li[data-id=tty0]").ClickAsync();
        await page.Locator("#title", new PageLocatorOptions { HasText = "tty0" }).WaitForAsync();
        await page.Locator("#remove").ClickAsync();
        await page.Locator("#remove", new PageLocatorOptions { HasText = "Really remove tty0?" }).ClickAsync();
        await page.Locator("#st-message", new PageLocatorOptions { HasText = "tty0 not removed" }).WaitForAsync();
        var busy = await page.Locator("#st-message").TextContentAsync();
        Assert.Contains("m0", busy);
        Assert.Equal("pty", (await server.GetAsync("tty0"))["backend"]!["type"]!.GetValue<string>());
        await page.Locator("#chardevs li[data-id=m0]").ClickAsync();
        await page.Locator("#title", new PageLocatorOptions { HasText = "m0" }).WaitForAsync();
        await page.Locator("#remove").ClickAsync();
        await page.Locator("#remove", new PageLocatorOptions { HasText = "Really remove m0?" }).ClickAsync();
        await page.Locator("#chardevs li[data-id=m0]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
        using (var gone = await server.Http.GetAsync("/api/chardevs/m0", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task AViewerSeesNoAdminControls()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        using (var created = await admin.PostAsJsonAsync("/api/chardevs", JsonNode.Parse("""{"id": "echo", "backend": {"type": "testdev"}}"""), CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(new Uri(server.BaseAddress, "/?console=echo"));
        await page.Locator("#key-input").FillAsync(TestKeys.Viewer);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await page.Locator("#me", new PageLocatorOptions { HasText = "viewer" }).WaitForAsync();
        await page.Locator("#title", new PageLocatorOptions { HasText = "echo" }).WaitForAsync();

        Assert.True(await page.Locator("#new-chardev").IsHiddenAsync());
        Assert.True(await page.Locator("#change-backend").IsHiddenAsync());
        Assert.True(await page.Locator("#remove").IsHiddenAsync());
        Assert.True(await page.Locator("#filter").IsVisibleAsync());
    }

    private static ILocator Field(IPage page, string path) => page.Locator($"#manage [data-path='{path}']:not(fieldset)");

    private static async Task StartFormAsync(IPage page, string id, string kind)
    {
        await page.Locator("#new-chardev").ClickAsync();
        await page.Locator("#manage-title", new PageLocatorOptions { HasText = "New chardev" }).WaitForAsync();
        await Field(page, "id").FillAsync(id);
        await Field(page, "backend.type").SelectOptionAsync(kind);
    }

    private static async Task CreateAsync(IPage page, string id, string kind, Func<Task> fill)
    {
        await StartFormAsync(page, id, kind);
        await fill();
        await page.Locator("#manage-submit").ClickAsync();
        // Created: the page opens its console.
        await page.Locator("#title", new PageLocatorOptions { HasText = id }).WaitForAsync();
        await page.Locator($"#chardevs li[data-id={id}]").WaitForAsync();
    }

    private static async Task<string[]> ListedAsync(IPage page) =>
        [.. await page.Locator("#chardevs li").EvaluateAllAsync<string[]>("items => items.map(li => li.dataset.id)")];
}
