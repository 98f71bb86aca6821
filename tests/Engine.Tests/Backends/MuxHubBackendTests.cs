using System.Collections.Concurrent;
using System.Text;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>mux and hub over echo (testdev) and ringbuf children.</summary>
public sealed class MuxHubBackendTests
{
    [Fact]
    public async Task MuxTypesIntoTheFocusedChildAndEscapesSwitchHelpBreakAndPassCtrlA()
    {
        await using var engine = await EngineHarness.StartAsync();
        var a = await engine.CreateAsync("a", new TestdevBackendOptions());
        var b = await engine.CreateAsync("b", new TestdevBackendOptions());
        var mux = await engine.CreateAsync("m", new MuxBackendOptions { Chardevs = ["a", "b"] });
        var breaks = new ConcurrentQueue<string>();
        b.EventRaised += e =>
        {
            if (e.Kind == ChardevEventKind.Break)
            {
                breaks.Enqueue(e.ChardevId);
            }
        };
        await using var console = mux.Attach(new ConsoleOptions());
        var screen = new Screen(console);

        await mux.WriteAsync("to a;"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("to a;");
        await mux.WriteAsync("\u0001c"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("[b]");
        await mux.WriteAsync("to b;"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("to b;");
        await mux.WriteAsync("\u0001h"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("C-a c    switch to the next chardev (a, b)");
        await mux.WriteAsync("\u0001\u0001"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("\u0001");
        await mux.WriteAsync("\u0001x"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("x ignored");
        await mux.WriteAsync("\u0001b"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal(5, a.Stats.InputBytes);
        Assert.Equal(6, b.Stats.InputBytes);
        Assert.Equal(["b"], breaks);
        Assert.Equal("mux:a,b", mux.Filename);
    }

    [Fact]
    public async Task EscapeCharacterIsConfigurable()
    {
        await using var engine = await EngineHarness.StartAsync();
        var a = await engine.CreateAsync("a", new TestdevBackendOptions());
        var b = await engine.CreateAsync("b", new TestdevBackendOptions());
        var mux = await engine.CreateAsync("m", new MuxBackendOptions { Chardevs = ["a", "b"], EscapeChar = 2 });
        await using var console = mux.Attach(new ConsoleOptions());
        var screen = new Screen(console);

        await mux.WriteAsync("\u0001c"u8.ToArray(), EngineHarness.Timeout());
        await mux.WriteAsync("\u0002c"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("[b]");
        await mux.WriteAsync("\u0002h"u8.ToArray(), EngineHarness.Timeout());

        await screen.WaitForAsync("C-b c    switch");
        Assert.Equal(2, a.Stats.InputBytes);
        Assert.Equal(0, b.Stats.InputBytes);
    }

    [Fact]
    public async Task MuxShowsOnlyTheFocusedChildAndTimestampsLines()
    {
        await using var engine = await EngineHarness.StartAsync();
        var a = await engine.CreateAsync("a", new RingbufBackendOptions());
        var b = await engine.CreateAsync("b", new RingbufBackendOptions());
        var mux = await engine.CreateAsync("m", new MuxBackendOptions { Chardevs = ["a", "b"] }, history: 4096);
        await using var console = mux.Attach(new ConsoleOptions());
        var screen = new Screen(console);

        await b.WriteAsync("hidden from the mux\n"u8.ToArray(), EngineHarness.Timeout());
        await mux.WriteAsync("\u0001t"u8.ToArray(), EngineHarness.Timeout());
        await a.WriteAsync("line one\n"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("[00:00:00.000] line one\n");

        Assert.DoesNotContain("hidden", Encoding.UTF8.GetString(mux.History()));
    }

    [Fact]
    public async Task AChildInUseIsBusyAndCannotServeTwoParents()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("a", new TestdevBackendOptions());
        await engine.CreateAsync("m", new MuxBackendOptions { Chardevs = ["a"] });

        var busy = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.RemoveAsync("a", EngineHarness.Timeout()));
        var twice = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("h", new HubBackendOptions { Chardevs = ["a"] }));
        var missing = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("h", new HubBackendOptions { Chardevs = ["nope"] }));

        Assert.Equal(ChardevErrorKind.Conflict, busy.Kind);
        Assert.Contains("is busy", busy.Message);
        Assert.Equal(ChardevErrorKind.Conflict, twice.Kind);
        Assert.Contains("no chardev is named 'nope'", Assert.Single(missing.Errors).Message);

        await engine.Registry.RemoveAsync("m", EngineHarness.Timeout());
        await engine.Registry.RemoveAsync("a", EngineHarness.Timeout());
        Assert.Empty(engine.Registry.All);
    }

    [Fact]
    public async Task AChangeThatWouldMakeAMuxOrHubContainItselfIsRefused()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("a", new TestdevBackendOptions(), history: 64);
        await engine.CreateAsync("b", new NullBackendOptions());
        await engine.CreateAsync("m", new MuxBackendOptions { Chardevs = ["b"] });

        var self = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("a", new HubBackendOptions { Chardevs = ["a"] }, EngineHarness.Timeout()));
        var loop = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("b", new HubBackendOptions { Chardevs = ["m"] }, EngineHarness.Timeout()));
        var nulls = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("n", new MuxBackendOptions { Chardevs = [null!] }));
        var escape = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("e", new MuxBackendOptions { Chardevs = ["a"], EscapeChar = 0 }));

        Assert.Contains("contain itself (a -> a)", Assert.Single(self.Errors).Message);
        Assert.Contains("contain itself (b -> m -> b)", Assert.Single(loop.Errors).Message);
        Assert.Equal("backend.chardevs", Assert.Single(nulls.Errors).Field);
        Assert.Equal("backend.escapeChar", Assert.Single(escape.Errors).Field);
        Assert.IsType<TestdevBackendOptions>(engine.Registry.Get("a").Definition.Backend);
    }

    [Fact]
    public async Task HubSendsInputToEveryChildAndBringsBackAllTheirOutput()
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await engine.CreateAsync("echo", new TestdevBackendOptions());
        var ring = await engine.CreateAsync("ring", new RingbufBackendOptions());
        var hub = await engine.CreateAsync("h", new HubBackendOptions { Chardevs = ["echo", "ring"] });
        await using var console = hub.Attach(new ConsoleOptions());
        var screen = new Screen(console);

        await hub.WriteAsync("xy"u8.ToArray(), EngineHarness.Timeout());

        await screen.WaitForAsync("xyxy");
        Assert.Equal(2, echo.Stats.InputBytes);
        Assert.Equal("xy"u8.ToArray(), ring.Read(16));
    }

    /// <summary>Everything a console has been shown, as text.</summary>
    private sealed class Screen(ConsoleSession console)
    {
        private readonly StringBuilder _text = new();

        public async Task WaitForAsync(string text)
        {
            var timeout = EngineHarness.Timeout();
            while (!_text.ToString().Contains(text, StringComparison.Ordinal))
            {
                _text.Append(Encoding.UTF8.GetString((await console.ReadDataAsync(timeout))!));
            }
        }
    }
}
