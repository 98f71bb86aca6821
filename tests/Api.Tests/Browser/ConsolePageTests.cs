using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace CharWeb.Api.Tests.Browser;

/// <summary>The console page in a real Chromium against a real server, as a person would use it.</summary>
public sealed class ConsolePageTests
{
    [Fact]
    public async Task TypeSeeEchoResizeReloadReplayShareAndReadOnly()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "history": 65536, "backend": {"type": "testdev"}}""");
        await using var browser = await BrowserSession.StartAsync();
        var url = new Uri(server.BaseAddress, "/?console=echo");

        // Type a line and find it in the xterm buffer (testdev echoes it back).
        var page = await browser.OpenAsync(url);
        await page.Locator("#chardevs li[data-id=echo]").WaitForAsync();
        Assert.Equal(0, await page.Locator("#chardevs .node").CountAsync());
        await WaitForConsolesAsync(server, 1);
        await page.Locator("#terminal").ClickAsync();
        await page.Keyboard.TypeAsync("hello from chromium");
        await page.Keyboard.PressAsync("Enter");
        await BrowserSession.WaitForTerminalTextAsync(page, "hello from chromium");
        Assert.Equal(20, (await server.GetAsync("echo"))["stats"]!["inputBytes"]!.GetValue<long>());

        // A second page sees the same output.
        var second = await browser.OpenAsync(url);
        await WaitForConsolesAsync(server, 2);
        using (var _ = await server.PostJsonAsync("/api/chardevs/echo/write", """{"data": "\r\nshared line\r\n"}"""))
        {
        }

        await BrowserSession.WaitForTerminalTextAsync(page, "shared line");
        await BrowserSession.WaitForTerminalTextAsync(second, "shared line");

        // A UTF-8 character split across two writes still renders as one character: xterm gets bytes.
        using (var _ = await server.PostJsonAsync("/api/chardevs/echo/write", """{"data": "bmHD", "format": "base64"}"""))
        using (var __ = await server.PostJsonAsync("/api/chardevs/echo/write", """{"data": "r3ZlDQo=", "format": "base64"}"""))
        {
        }

        await BrowserSession.WaitForTerminalTextAsync(page, "naïve");

        // Break reaches the device (testdev reports it as an event the page shows).
        await page.Locator("#break").ClickAsync();
        await page.Locator("#st-message", new PageLocatorOptions { HasText = "break" }).WaitForAsync();

        // The download link serves the history.
        var download = await page.Locator("#download").GetAttributeAsync("href");
        Assert.Equal("/api/chardevs/echo/history", download);
        Assert.Contains("naïve", await server.Http.GetStringAsync(download, CharWebServer.Timeout()));

        // Resizing the window resizes the terminal, and the server hears it.
        var before = await ConsoleSizesAsync(server);
        await page.SetViewportSizeAsync(800, 500);
        await WaitUntilAsync(async () => (await ConsoleSizesAsync(server)).Except(before).Any());
        var cols = await page.EvaluateAsync<int>("() => window.charweb.term.cols");
        Assert.Contains(cols, (await ConsoleSizesAsync(server)).Select(s => s.Cols));

        // Reload: history comes back.
        await page.ReloadAsync();
        await BrowserSession.WaitForTerminalTextAsync(page, "hello from chromium");
        await BrowserSession.WaitForTerminalTextAsync(page, "shared line");

        // A read-only page shows output but cannot write.
        var readOnly = await browser.OpenAsync(new Uri(server.BaseAddress, "/?console=echo&readonly=1"));
        await BrowserSession.WaitForTerminalTextAsync(readOnly, "shared line");
        var inputBefore = (await server.GetAsync("echo"))["stats"]!["inputBytes"]!.GetValue<long>();
        await readOnly.Locator("#terminal").ClickAsync();
        await readOnly.Keyboard.TypeAsync("must not arrive");
        Assert.True(await readOnly.Locator("#break").IsDisabledAsync());
        Assert.True(await readOnly.Locator("#ro-badge").IsVisibleAsync());
        var consoles = await server.Http.GetStringAsync("/api/chardevs/echo/consoles", CharWebServer.Timeout());
        Assert.Contains("\"readOnly\":true", consoles);
        Assert.Equal(inputBefore, (await server.GetAsync("echo"))["stats"]!["inputBytes"]!.GetValue<long>());
        Assert.DoesNotContain("must not arrive", await BrowserSession.TerminalTextAsync(page));

        // The page as a person sees it.
        await page.SetViewportSizeAsync(1280, 720);
        await BrowserSession.ScreenshotAsync(page, "console-page.png");
        await BrowserSession.ScreenshotAsync(readOnly, "console-page-readonly.png");
    }

    [Fact]
    public async Task LostOutputIsMarkedInTheTerminalWhereItIsMissing()
    {
        // A 4 KiB console buffer: one 64 KiB echo cannot be queued whole, so this console loses it.
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["CharWeb:Console:BufferBytes"] = "4096" });
        await server.CreateAsync("""{"id": "burst", "backend": {"type": "testdev"}}""");
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(new Uri(server.BaseAddress, "/?console=burst"));
        await WaitForConsolesAsync(server, 1, "burst");

        // Two lost echoes with nothing between them are one gap, marked once.
        var burst = $$"""{"data": "{{new string('x', 64 << 10)}}"}""";
        // The page is told of the first loss before the second happens, so they come as two overruns.
        using (var _ = await server.PostJsonAsync("/api/chardevs/burst/write", """{"data": "before\r\n"}"""))
        {
        }

        // Shown before the burst comes: still queued, it would be the oldest bytes and lost with the burst.
        await BrowserSession.WaitForTerminalTextAsync(page, "before");
        using (var _ = await server.PostJsonAsync("/api/chardevs/burst/write", burst))
        {
        }

        await page.Locator("#st-lost", new PageLocatorOptions { HasText = "lost 64.0 KiB" }).WaitForAsync();
        using (var _ = await server.PostJsonAsync("/api/chardevs/burst/write", burst))
        {
        }

        await page.Locator("#st-lost", new PageLocatorOptions { HasText = "lost 128.0 KiB" }).WaitForAsync();
        using (var _ = await server.PostJsonAsync("/api/chardevs/burst/write", """{"data": "after\r\n"}"""))
        {
        }

        await BrowserSession.WaitForTerminalTextAsync(page, "after");
        var text = await BrowserSession.TerminalTextAsync(page);
        const string Marker = "[charweb: 128.0 KiB of output lost here]";
        var before = text.IndexOf("before", StringComparison.Ordinal);
        var marker = text.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(before >= 0 && marker > before && marker < text.IndexOf("after", StringComparison.Ordinal), text);
        Assert.Equal(marker, text.LastIndexOf("[charweb:", StringComparison.Ordinal));
        Assert.DoesNotContain("xxxx", text);
    }

    [Fact]
    public async Task ChardevListFollowsCreateAndRemoveWithoutReload()
    {
        await using var server = await CharWebServer.StartAsync();
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(server.BaseAddress);
        await page.Locator("#empty-list").WaitForAsync();

        await server.CreateAsync("""{"id": "appears", "backend": {"type": "null"}}""");
        await page.Locator("#chardevs li[data-id=appears]").WaitForAsync();
        using (var _ = await server.Http.DeleteAsync("/api/chardevs/appears", CharWebServer.Timeout()))
        {
        }

        await page.Locator("#chardevs li[data-id=appears]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
    }

    [Fact]
    public async Task ShellOnAPtyInTheBrowserAnswersAndSeesTheTerminalSize()
    {
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["CharWeb:Exec:Allowed:0"] = "/bin/sh" });
        await server.CreateAsync("""{"id": "shell", "history": 65536, "backend": {"type": "exec", "command": "/bin/sh"}}""");
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(new Uri(server.BaseAddress, "/?console=shell"), width: 1000, height: 600);
        await WaitForConsolesAsync(server, 1, "shell");
        await page.Locator("#terminal").ClickAsync();

        await page.Keyboard.TypeAsync("echo $((6*7))");
        await page.Keyboard.PressAsync("Enter");
        await BrowserSession.WaitForTerminalTextAsync(page, "42");

        var (cols, rows) = (await page.EvaluateAsync<int>("() => window.charweb.term.cols"), await page.EvaluateAsync<int>("() => window.charweb.term.rows"));
        await page.Keyboard.TypeAsync("stty size");
        await page.Keyboard.PressAsync("Enter");
        await BrowserSession.WaitForTerminalTextAsync(page, $"{rows} {cols}");

        await BrowserSession.ScreenshotAsync(page, "console-page-shell.png");
    }

    [Fact]
    public async Task PageReconnectsAndReattachesAfterTheServerRestarts()
    {
        var port = CharWebServer.FreePort();
        var server = await CharWebServer.StartAsync(port: port);
        await server.CreateAsync("""{"id": "echo", "history": 4096, "backend": {"type": "testdev"}}""");
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(new Uri(server.BaseAddress, "/?console=echo"));
        await WaitForConsolesAsync(server, 1);
        var dataDir = server.DataDir;

        await server.DisposeAsync();
        await page.Locator("#link", new PageLocatorOptions { HasText = "reconnecting" }).WaitForAsync();
        await using var restarted = await CharWebServer.StartAsync(dataDir, port: port);
        await page.Locator("#link", new PageLocatorOptions { HasTextRegex = new System.Text.RegularExpressions.Regex("^connected$") }).WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await WaitForConsolesAsync(restarted, 1);
        using (var _ = await restarted.PostJsonAsync("/api/chardevs/echo/write", """{"data": "after restart\r\n"}"""))
        {
        }

        await BrowserSession.WaitForTerminalTextAsync(page, "after restart");
    }

    [Fact]
    public async Task SwitchingConsolesWhileTheOldOneStillRendersLeavesTheNewOneItsOwnAcknowledgements()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "big", "history": 1048576, "backend": {"type": "testdev"}}""");
        await server.CreateAsync("""{"id": "small", "history": 4096, "backend": {"type": "testdev"}}""");
        var line = string.Concat(Enumerable.Repeat("\\u001b[31m0123456789abcdef", 5)) + "\\r\\n";
        var chunk = $$"""{"data": "{{string.Concat(Enumerable.Repeat(line, 600))}}"}""";
        using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        async Task FloodAsync()
        {
            // big keeps talking while the person watches it and switches away.
            while (!stopFlood.IsCancellationRequested)
            {
                using var write = await server.PostJsonAsync("/api/chardevs/big/write", chunk);
                Assert.Equal(System.Net.HttpStatusCode.OK, write.StatusCode);
            }
        }

        var flood = FloodAsync();
        using (var _ = await server.PostJsonAsync("/api/chardevs/small/write", """{"data": "small-marker\r\n"}"""))
        {
        }

        await using var browser = await BrowserSession.StartAsync();
        IPage page;
        try
        {
            page = await browser.OpenAsync(new Uri(server.BaseAddress, "/?console=big"));
            await page.Locator("#chardevs li[data-id=small]").WaitForAsync();
            // The person switches at a moment xterm is still rendering big's output (its write callbacks pending).
            await page.EvaluateAsync("""
                () => new Promise(switched => {
                  const look = () => {
                    const stream = window.charweb.state.stream;
                    if (stream && stream.id === 'big' && stream.pending > 0) {
                      document.querySelector('#chardevs li[data-id=small]').click();
                      switched();
                    } else {
                      setTimeout(look, 0);
                    }
                  };
                  look();
                })
                """);
            await BrowserSession.WaitForTerminalTextAsync(page, "small-marker");
        }
        finally
        {
            await stopFlood.CancelAsync();
        }

        await flood.WaitAsync(CharWebServer.Timeout());

        // Every byte small's console was sent gets acknowledged by its own stream, and only those.
        await WaitUntilAsync(async () =>
        {
            var consoles = JsonNode.Parse(await server.Http.GetStringAsync("/api/chardevs/small/consoles", CharWebServer.Timeout()))!.AsArray();
            return consoles.Count == 1 && consoles[0]!["bytesAcknowledged"]!.GetValue<long>() == consoles[0]!["bytesSent"]!.GetValue<long>();
        });
        await page.WaitForFunctionAsync("() => window.charweb.state.stream.id === 'small' && window.charweb.state.stream.pending === 0");
        var rendered = await page.EvaluateAsync<long>("() => window.charweb.state.stream.rendered");
        var sent = JsonNode.Parse(await server.Http.GetStringAsync("/api/chardevs/small/consoles", CharWebServer.Timeout()))!.AsArray()[0]!["bytesSent"]!.GetValue<long>();
        Assert.Equal(sent, rendered);
    }

    private static async Task WaitForConsolesAsync(CharWebServer server, int count, string id = "echo") =>
        await WaitUntilAsync(async () => (await server.GetAsync(id))["consoles"]!.GetValue<int>() == count);

    private static async Task<List<(int Cols, int Rows)>> ConsoleSizesAsync(CharWebServer server)
    {
        var list = JsonNode.Parse(await server.Http.GetStringAsync("/api/chardevs/echo/consoles", CharWebServer.Timeout()))!.AsArray();
        return list.Where(c => c!["cols"] is not null).Select(c => (c!["cols"]!.GetValue<int>(), c["rows"]!.GetValue<int>())).ToList();
    }

    /// <summary>Polls a server-side condition (no event to wait on) until it holds or the timeout fires.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var timeout = CharWebServer.Timeout(20);
        while (!await condition())
        {
            await Task.Delay(50, timeout);
        }
    }
}
