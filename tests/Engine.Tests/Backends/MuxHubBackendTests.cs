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
    public async Task OneConsolesTrailingEscapeDoesNotTurnAnotherConsolesKeyIntoACommand()
    {
        await using var engine = await EngineHarness.StartAsync();
        var a = await engine.CreateAsync("a", new RingbufBackendOptions());
        var b = await engine.CreateAsync("b", new RingbufBackendOptions());
        var mux = await CreateSharedMuxAsync(engine, "a", "b");
        await using var first = mux.Attach(new ConsoleOptions { User = "ann" });
        await using var second = mux.Attach(new ConsoleOptions { User = "bob" });
        var screen = new Screen(second);

        await first.WriteAsync("x\u0001"u8.ToArray(), EngineHarness.Timeout());
        await second.WriteAsync("c"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal("xc"u8.ToArray(), a.Read(16));
        Assert.Empty(b.Read(16));

        await first.WriteAsync("c"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("[b]");
        await second.WriteAsync("y"u8.ToArray(), EngineHarness.Timeout());

        Assert.Empty(a.Read(16));
        Assert.Equal("y"u8.ToArray(), b.Read(16));
    }

    [Fact]
    public async Task ARestCallerAndAConsoleEachKeepTheirOwnEscapeAndARestEscapeSpansRequests()
    {
        await using var engine = await EngineHarness.StartAsync();
        var a = await engine.CreateAsync("a", new RingbufBackendOptions());
        var b = await engine.CreateAsync("b", new RingbufBackendOptions());
        var mux = await CreateSharedMuxAsync(engine, "a", "b");
        await using var console = mux.Attach(new ConsoleOptions { User = "ann" });
        var screen = new Screen(console);

        // Each REST request makes its own source; one name is one writer all the same.
        await console.WriteAsync("\u0001"u8.ToArray(), EngineHarness.Timeout());
        await mux.WriteAsync("c"u8.ToArray(), InputSource.Named("rest:bob"), EngineHarness.Timeout());
        await mux.WriteAsync("\u0001"u8.ToArray(), InputSource.Named("rest:bob"), EngineHarness.Timeout());
        await mux.WriteAsync("c"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal("cc"u8.ToArray(), a.Read(16));

        await console.WriteAsync("c"u8.ToArray(), EngineHarness.Timeout());
        await screen.WaitForAsync("[b]");
        await mux.WriteAsync("c"u8.ToArray(), InputSource.Named("rest:bob"), EngineHarness.Timeout());
        await screen.WaitForAsync("[a]");
        await mux.WriteAsync("z"u8.ToArray(), InputSource.Named("rest:bob"), EngineHarness.Timeout());

        Assert.Equal("z"u8.ToArray(), a.Read(16));
        Assert.Empty(b.Read(16));
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
        var loop = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("b", new MuxBackendOptions { Chardevs = ["m"] }, EngineHarness.Timeout()));
        var nulls = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("n", new MuxBackendOptions { Chardevs = [null!] }));
        var escape = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("e", new MuxBackendOptions { Chardevs = ["a"], EscapeChar = 0 }));

        Assert.Contains("contain itself (a -> a)", Assert.Single(self.Errors).Message);
        Assert.Contains("contain itself (b -> m -> b)", Assert.Single(loop.Errors).Message);
        Assert.Equal("backend.chardevs", Assert.Single(nulls.Errors).Field);
        Assert.Equal("backend.escapeChar", Assert.Single(escape.Errors).Field);
        Assert.IsType<TestdevBackendOptions>(engine.Registry.Get("a").Definition.Backend);
    }

    [Fact]
    public async Task AHubOverAHubOrAMuxIsRefusedWithQemusReasonAndLeavesNothingBehind()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("a", new NullBackendOptions());
        await engine.CreateAsync("b", new NullBackendOptions());
        await engine.CreateAsync("c", new NullBackendOptions());
        await engine.CreateAsync("inner", new HubBackendOptions { Chardevs = ["a"] });
        await engine.CreateAsync("m", new MuxBackendOptions { Chardevs = ["b"] });

        var hubOfHub = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("outer", new HubBackendOptions { Chardevs = ["c", "inner"] }));
        var hubOfMux = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("outer", new HubBackendOptions { Chardevs = ["m"] }));

        Assert.Equal(ChardevErrorKind.Invalid, hubOfHub.Kind);
        var error = Assert.Single(hubOfHub.Errors);
        Assert.Equal("backend.chardevs[1]", error.Field);
        Assert.Equal("chardev 'inner' is a hub: a hub's children cannot be hubs or muxes (QEMU: multiplexers and hub devices can't be stacked)", error.Message);
        Assert.Equal("backend.chardevs[0]", Assert.Single(hubOfMux.Errors).Field);
        Assert.Contains("chardev 'm' is a mux", hubOfMux.Errors[0].Message);
        Assert.False(engine.Registry.TryGet("outer", out _));

        // Nothing of the refused hub holds c or inner: a mux over the hub (QEMU allows one) takes them.
        var mux = await engine.CreateAsync("top", new MuxBackendOptions { Chardevs = ["inner", "c"] });
        Assert.Equal("mux:inner,c", mux.Filename);
    }

    [Fact]
    public async Task ChangingAHubToHoldAHubOrAChildOfAHubIntoAHubOrMuxIsRefused()
    {
        await using var engine = await EngineHarness.StartAsync();
        await engine.CreateAsync("a", new NullBackendOptions());
        await engine.CreateAsync("b", new NullBackendOptions());
        await engine.CreateAsync("c", new NullBackendOptions());
        await engine.CreateAsync("d", new NullBackendOptions());
        await engine.CreateAsync("inner", new HubBackendOptions { Chardevs = ["a"] });
        await engine.CreateAsync("h", new HubBackendOptions { Chardevs = ["b"] });
        await engine.CreateAsync("m", new MuxBackendOptions { Chardevs = ["c"] });

        var toHubOfHub = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("h", new HubBackendOptions { Chardevs = ["inner"] }, EngineHarness.Timeout()));
        var childToHub = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("b", new HubBackendOptions { Chardevs = ["d"] }, EngineHarness.Timeout()));
        var childToMux = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("a", new MuxBackendOptions { Chardevs = ["d"] }, EngineHarness.Timeout()));

        Assert.Equal("chardevs[0]", Assert.Single(toHubOfHub.Errors).Field);
        Assert.Contains("chardev 'inner' is a hub", toHubOfHub.Errors[0].Message);
        Assert.Equal(ChardevErrorKind.Invalid, childToHub.Kind);
        var error = Assert.Single(childToHub.Errors);
        Assert.Equal("type", error.Field);
        Assert.Equal("chardev 'b' is a child of a hub and cannot become a hub or a mux (QEMU: multiplexers and hub devices can't be stacked); chardev 'h' stands in the way", error.Message);
        Assert.Contains("chardev 'a' is a child of a hub and cannot become a hub or a mux", Assert.Single(childToMux.Errors).Message);
        Assert.Contains("chardev 'inner' stands in the way", childToMux.Errors[0].Message);
        Assert.IsType<HubBackendOptions>(engine.Registry.Get("h").Definition.Backend);
        Assert.IsType<NullBackendOptions>(engine.Registry.Get("b").Definition.Backend);
        Assert.IsType<NullBackendOptions>(engine.Registry.Get("a").Definition.Backend);

        // A mux's child may become a hub: a mux over a hub is what QEMU allows.
        await engine.Registry.RemoveAsync("h", EngineHarness.Timeout());
        var changed = await engine.Registry.ChangeBackendAsync("c", new HubBackendOptions { Chardevs = ["b"] }, EngineHarness.Timeout());
        Assert.Equal("hub:b", changed.Filename);
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

    /// <summary>A mux every console may type into (writers: all), so two of them can race their escapes.</summary>
    private static Task<Chardev> CreateSharedMuxAsync(EngineHarness engine, params string[] children) =>
        engine.Registry.CreateAsync(new ChardevDefinition { Id = "m", Backend = new MuxBackendOptions { Chardevs = children }, Writers = WriterPolicy.All }, EngineHarness.Timeout());

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
