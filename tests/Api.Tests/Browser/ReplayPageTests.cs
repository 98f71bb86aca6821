using Microsoft.Playwright;
using System.Text.Json;

namespace CharWeb.Api.Tests.Browser;

/// <summary>The page's Replay panel: a recording made in the test plays in asciinema-player, and seeking shows the screen at that time.</summary>
public sealed class ReplayPageTests
{
    private const string PlayerText = "() => (document.querySelector('#replay-player .ap-term') || {}).textContent || ''";

    [Fact]
    public async Task ARecordingMadeHerePlaysInThePageAndSeekingShowsTheScreenAtThatTime()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "rec", "record": true, "backend": {"type": "testdev"}}""");
        await server.CreateAsync("""{"id": "plain", "backend": {"type": "testdev"}}""");
        foreach (var line in new[] { "first line", "second line", "third line" })
        {
            using var write = await server.PostJsonAsync("/api/chardevs/rec/write", $$"""{"data": "{{line}}\r\n"}""");
            Assert.True(write.IsSuccessStatusCode);
        }

        // The times of the three output events, as the server recorded them (the player's time axis is the same).
        var times = (await server.Http.GetStringAsync("/api/chardevs/rec/recording", CharWebServer.Timeout()))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line =>
            {
                using var e = JsonDocument.Parse(line);
                return e.RootElement[0].GetDouble();
            }).ToList();
        Assert.Equal(3, times.Count);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(new Uri(server.BaseAddress, "/?console=plain"));
        await page.Locator("#chardevs li[data-id=rec]").WaitForAsync();
        Assert.True(await page.Locator("#replay-open").IsHiddenAsync(), "a chardev without record: true offers no replay");

        await page.Locator("#chardevs li[data-id=rec]").ClickAsync();
        await page.Locator("#replay-open").ClickAsync();
        await page.Locator("#replay-panel").WaitForAsync();
        await page.WaitForFunctionAsync("() => window.charweb.replay && window.charweb.replay.getDuration() > 0");
        Assert.True(await page.EvaluateAsync<double>("() => window.charweb.replay.getDuration()") >= times[^1], "the player plays the whole recording");

        // Between the second and third events: two lines on the screen, not the third.
        var middle = (times[1] + times[2]) / 2;
        await page.EvaluateAsync("t => window.charweb.replay.seek(t)", middle);
        await page.WaitForFunctionAsync(PlayerText.Replace("=> (", "=> ((", StringComparison.Ordinal) + ").includes('second line')");
        var atMiddle = await page.EvaluateAsync<string>(PlayerText);
        Assert.Contains("first line", atMiddle);
        Assert.DoesNotContain("third line", atMiddle);
        Assert.Equal(middle, await page.EvaluateAsync<double>("() => window.charweb.replay.getCurrentTime()"), 3);

        // To the end: the third line too.
        await page.EvaluateAsync("t => window.charweb.replay.seek(t)", times[^1]);
        await page.WaitForFunctionAsync(PlayerText.Replace("=> (", "=> ((", StringComparison.Ordinal) + ").includes('third line')");

        // Closing the panel, or switching console, takes the player away.
        await page.Locator("#replay-close").ClickAsync();
        Assert.True(await page.Locator("#replay-panel").IsHiddenAsync());
        Assert.Equal(0, await page.Locator("#replay-player .ap-term").CountAsync());
    }

    [Fact]
    public async Task TheReplayPanelListsRotatedRecordingsAndPlaysTheOnePicked()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "rot", "record": true, "recordMaxBytes": 4096, "backend": {"type": "testdev"}}""");

        // Two of these and a header fit in 4096 bytes: the third write starts a new recording.
        foreach (var word in new[] { "older", "also-older", "newest" })
        {
            var text = string.Concat(Enumerable.Repeat(word + " ", 1800 / (word.Length + 1)));
            using var write = await server.PostJsonAsync("/api/chardevs/rot/write", $$"""{"data": "{{text}}\r\n"}""");
            Assert.True(write.IsSuccessStatusCode);
        }

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.OpenAsync(new Uri(server.BaseAddress, "/?console=rot"));
        await page.Locator("#replay-open").ClickAsync();
        await page.WaitForFunctionAsync("() => window.charweb.replay && window.charweb.replay.getDuration() >= 0");
        await page.EvaluateAsync("() => window.charweb.replay.seek(window.charweb.replay.getDuration())");
        await page.WaitForFunctionAsync(PlayerText.Replace("=> (", "=> ((", StringComparison.Ordinal) + ").includes('newest')");
        var options = await page.Locator("#replay-file option").AllTextContentsAsync();
        Assert.Equal(2, options.Count);
        Assert.Equal("rot.cast (current)", options[0]);
        Assert.Matches(@"^rot\.cast-[0-9]{8}-[0-9]{6} \(until ", options[1]);

        var rotated = await page.Locator("#replay-file option").Nth(1).GetAttributeAsync("value");
        var before = await page.EvaluateHandleAsync("() => window.charweb.replay");
        await page.Locator("#replay-file").SelectOptionAsync(rotated!);
        await page.WaitForFunctionAsync("old => window.charweb.replay && window.charweb.replay !== old && window.charweb.replay.getDuration() >= 0", before);
        await page.EvaluateAsync("() => window.charweb.replay.seek(window.charweb.replay.getDuration())");
        await page.WaitForFunctionAsync(PlayerText.Replace("=> (", "=> ((", StringComparison.Ordinal) + ").includes('also-older')");
        Assert.DoesNotContain("newest", await page.EvaluateAsync<string>(PlayerText));
        await BrowserSession.ScreenshotAsync(page, "replay-rotated.png");
    }
}
