using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Access;
using Microsoft.Playwright;

namespace CharWeb.Api.Tests.Browser;

/// <summary>Two people on one console in Chromium, each signed in with an API key: one types, one watches, take-over moves the seat.</summary>
public sealed class WriterSeatPageTests
{
    [Fact]
    public async Task TheSpySeesWhoTypesCannotTypeAndTakesOverTheSeat()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var bobKey = await WriterSeatHubTests.MakeKeyAsync(admin, "bob", "operator");
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var browser = await BrowserSession.StartAsync();
        var url = new Uri(server.BaseAddress, "/?console=echo");

        var alice = await SignInAsync(browser, url, TestKeys.Operator);
        await alice.Locator("#me", new PageLocatorOptions { HasText = "operator-key · operator" }).WaitForAsync();
        await alice.Locator("#writer", new PageLocatorOptions { HasText = "you hold the writer seat" }).WaitForAsync();
        var bob = await SignInAsync(browser, url, bobKey);
        await bob.Locator("#writer", new PageLocatorOptions { HasText = "writer: operator-key (you watch)" }).WaitForAsync();

        // The spy's keys do not reach the device; the page says why.
        await bob.Locator("#terminal").ClickAsync();
        await bob.Keyboard.TypeAsync("spy");
        await bob.Locator("#st-message", new PageLocatorOptions { HasText = "holds the writer seat" }).WaitForAsync();
        Assert.Equal(0, await InputBytesAsync(admin));

        await bob.Locator("#take").ClickAsync();
        await bob.Locator("#writer", new PageLocatorOptions { HasText = "you hold the writer seat" }).WaitForAsync();
        await alice.Locator("#writer", new PageLocatorOptions { HasText = "writer: bob (you watch)" }).WaitForAsync();
        Assert.True(await bob.Locator("#take").IsHiddenAsync());
        Assert.True(await alice.Locator("#take").IsVisibleAsync());

        await bob.Locator("#terminal").ClickAsync();
        await bob.Keyboard.TypeAsync("bob types");
        await BrowserSession.WaitForTerminalTextAsync(alice, "bob types");
        Assert.Equal(9, await InputBytesAsync(admin));
    }

    [Fact]
    public async Task AViewersPageIsReadOnlyWhateverTheUrlSays()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var browser = await BrowserSession.StartAsync();

        var page = await SignInAsync(browser, new Uri(server.BaseAddress, "/?console=echo&readonly=0"), TestKeys.Viewer);
        await page.Locator("#ro-badge").WaitForAsync();
        await page.Locator("#terminal").ClickAsync();
        await page.Keyboard.TypeAsync("nope");
        await page.Locator("#st-message", new PageLocatorOptions { HasText = "read-only" }).WaitForAsync();

        Assert.True(await page.Locator("#break").IsDisabledAsync());
        Assert.True(await page.Locator("#take").IsHiddenAsync());
        Assert.Equal(0, await InputBytesAsync(admin));
        // The page's own refusal aside, the server refuses a viewer's input too.
        var refused = await page.EvaluateAsync<string>("() => window.charweb.connection.invoke('Write', 'echo', new Uint8Array([65])).then(() => 'accepted', e => e.message)");
        Assert.Contains("read-only", refused);
    }

    /// <summary>Opens the page in its own browser context (its own storage) and gives it a key through the sign-in form.</summary>
    private static async Task<IPage> SignInAsync(BrowserSession browser, Uri url, string key)
    {
        var page = await browser.OpenAsync(url);
        await page.Locator("#signin").WaitForAsync();
        await page.Locator("#key-input").FillAsync(key);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await page.Locator("#chardevs li[data-id=echo]").WaitForAsync();
        await page.Locator("#st-link", new PageLocatorOptions { HasText = "connected" }).WaitForAsync();
        return page;
    }

    private static async Task<long> InputBytesAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonObject>("/api/chardevs/echo", CharWebServer.Timeout()))!["stats"]!["inputBytes"]!.GetValue<long>();
}
