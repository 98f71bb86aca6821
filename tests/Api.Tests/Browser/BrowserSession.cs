using Microsoft.Playwright;

namespace CharWeb.Api.Tests.Browser;

/// <summary>Debian's Chromium, driven by Playwright (no browser download), headless, against a real server.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private BrowserSession(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<BrowserSession> StartAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install -y chromium (.ci/run does)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return new BrowserSession(playwright, browser);
    }

    public async Task<IPage> OpenAsync(Uri address, int width = 1280, int height = 720)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        // A navigation crosses servers (CharWeb, the provider) that share two busy cores with the rest of the suite.
        page.SetDefaultNavigationTimeout(60_000);
        await page.GotoAsync(address.ToString());
        return page;
    }

    /// <summary>The visible text of the page's xterm buffer, lines joined with newlines.</summary>
    public static Task<string> TerminalTextAsync(IPage page) =>
        page.EvaluateAsync<string>("""
            () => {
              const b = window.charweb.term.buffer.active;
              const lines = [];
              for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
              return lines.join('\n');
            }
            """);

    public static async Task WaitForTerminalTextAsync(IPage page, string text)
    {
        await page.WaitForFunctionAsync(
            """
            text => {
              const b = window.charweb && window.charweb.term.buffer.active;
              if (!b) return false;
              for (let i = 0; i < b.length; i++) if (b.getLine(i).translateToString(true).includes(text)) return true;
              return false;
            }
            """,
            text);
    }

    /// <summary>Saves the page as a person sees it to the test output's <c>artifacts/NAME</c> (kept by CI, shown in the README).</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = false)
    {
        var shots = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(shots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, name), FullPage = fullPage });
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
