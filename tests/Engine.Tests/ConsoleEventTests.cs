using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests;

/// <summary>Events travel in order with a console's output, and are not held back by its window.</summary>
public sealed class ConsoleEventTests
{
    [Fact]
    public async Task EventsPassAClosedWindow()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var console = chardev.Attach(new ConsoleOptions { WindowBytes = 4 });
        await DrainEventsAsync(console);
        await chardev.WriteAsync("12345678"u8.ToArray(), EngineHarness.Timeout());
        await chardev.WriteAsync("more"u8.ToArray(), EngineHarness.Timeout());
        Assert.Equal("12345678"u8.ToArray(), await console.ReadDataAsync(EngineHarness.Timeout()));

        await chardev.SendBreakAsync(EngineHarness.Timeout());
        var next = await console.ReadAsync(EngineHarness.Timeout());

        Assert.Equal(ChardevEventKind.Break, next!.Value.Event!.Kind);
        Assert.Equal(4, console.QueuedBytes);
    }

    [Fact]
    public async Task RemovedComesAfterTheLastOutputAndThenTheStreamEnds()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        var console = chardev.Attach(new ConsoleOptions());
        await chardev.WriteAsync("last words"u8.ToArray(), EngineHarness.Timeout());

        await engine.Registry.RemoveAsync("dev", EngineHarness.Timeout());
        var items = new List<ConsoleChunk>();
        while (await console.ReadAsync(EngineHarness.Timeout()) is { } item)
        {
            items.Add(item);
        }

        Assert.Equal("last words"u8.ToArray(), items.Single(i => !i.IsEvent).Data);
        Assert.Equal(ChardevEventKind.Removed, items[^1].Event?.Kind);
        Assert.True(items.FindIndex(i => !i.IsEvent) < items.Count - 1);
    }

    [Fact]
    public async Task AStreamEndingBehindItsWindowHandsOverWhatWasQueuedFirst()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        var console = chardev.Attach(new ConsoleOptions { WindowBytes = 4 });
        await DrainEventsAsync(console);
        await chardev.WriteAsync("12345678"u8.ToArray(), EngineHarness.Timeout());
        await chardev.WriteAsync("more"u8.ToArray(), EngineHarness.Timeout());
        Assert.Equal("12345678"u8.ToArray(), await console.ReadDataAsync(EngineHarness.Timeout()));

        // Never acknowledged, so the window stays shut; removal ends the stream all the same.
        await engine.Registry.RemoveAsync("dev", EngineHarness.Timeout());

        Assert.Equal("more"u8.ToArray(), (await console.ReadAsync(EngineHarness.Timeout()))!.Value.Data);
        Assert.Equal(ChardevEventKind.Removed, (await console.ReadAsync(EngineHarness.Timeout()))!.Value.Event?.Kind);
        Assert.Null(await console.ReadAsync(EngineHarness.Timeout()));
    }

    [Fact]
    public async Task LossesWhileBehindAreReportedAsOneOverrunWithTheTotal()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var console = chardev.Attach(new ConsoleOptions { BufferBytes = 1000 });
        await DrainEventsAsync(console);

        for (var i = 0; i < 100; i++)
        {
            await chardev.WriteAsync(new byte[100], EngineHarness.Timeout());
        }

        var overrun = await console.ReadAsync(EngineHarness.Timeout());
        Assert.Equal(ChardevEventKind.Overrun, overrun!.Value.Event!.Kind);
        Assert.Equal(9000, overrun.Value.Event.Bytes);
        Assert.Equal(9000, console.BytesLost);
        var received = 0;
        while (console.QueuedBytes > 0)
        {
            var item = await console.ReadAsync(EngineHarness.Timeout());
            Assert.False(item!.Value.IsEvent, "one overrun event, not one per dropped chunk");
            received += item.Value.Data.Length;
        }

        Assert.Equal(1000, received);
    }

    [Fact]
    public async Task EachOverrunSitsWhereItsBytesAreMissing()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var console = chardev.Attach(new ConsoleOptions { BufferBytes = 1000, WindowBytes = 0 });
        await DrainEventsAsync(console);

        // Chunk i is 100 bytes of value i; 15 writes unread open a gap, 10 writes read twice each let it catch up.
        var source = new byte[100 * 100];
        var offset = 0L;
        var overruns = 0;
        for (var i = 0; i < 100; i++)
        {
            Array.Fill(source, (byte)i, i * 100, 100);
            await chardev.WriteAsync(source.AsMemory(i * 100, 100), EngineHarness.Timeout());
            for (var reads = i % 25 < 15 ? 0 : 2; reads > 0 && console.QueuedBytes > 0; reads--)
            {
                offset = await TakeAtOffsetAsync(console, source, offset, () => overruns++);
            }
        }

        while (console.QueuedBytes > 0)
        {
            offset = await TakeAtOffsetAsync(console, source, offset, () => overruns++);
        }

        Assert.Equal(source.Length, offset);
        Assert.True(overruns > 1, $"the interleaving should open more than one gap, it opened {overruns}");
        Assert.Equal(source.Length - console.BytesSent, console.BytesLost);
    }

    [Fact]
    public async Task SmallChunksQueuedTogetherGoAsOneItemButNeverAcrossAnEvent()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var console = chardev.Attach(new ConsoleOptions { WindowBytes = 250 });
        await DrainEventsAsync(console);
        for (var i = 0; i < 5; i++)
        {
            await chardev.WriteAsync(new byte[100], EngineHarness.Timeout());
        }

        await chardev.SendBreakAsync(EngineHarness.Timeout());
        await chardev.WriteAsync(new byte[100], EngineHarness.Timeout());

        // The window has 250 bytes open: two chunks fit, the third waits for an ack.
        Assert.Equal(200, (await console.ReadDataAsync(EngineHarness.Timeout()))!.Length);
        console.Acknowledge(200);
        Assert.Equal(200, (await console.ReadDataAsync(EngineHarness.Timeout()))!.Length);
        console.Acknowledge(400);
        Assert.Equal(100, (await console.ReadDataAsync(EngineHarness.Timeout()))!.Length);
        Assert.Equal(ChardevEventKind.Break, (await console.ReadAsync(EngineHarness.Timeout()))!.Value.Event?.Kind);
        console.Acknowledge(500);
        Assert.Equal(100, (await console.ReadDataAsync(EngineHarness.Timeout()))!.Length);
    }

    [Fact]
    public async Task InputToADisconnectedDeviceIsToldToItsConsoles()
    {
        await using var restarted = await EngineHarness.StartWithDisconnectedFileAsync("f");
        var chardev = restarted.Registry.Get("f");
        await using var console = chardev.Attach(new ConsoleOptions());
        await DrainEventsAsync(console);

        Assert.Equal(0, await console.WriteAsync("abc"u8.ToArray(), EngineHarness.Timeout()));
        var told = await console.ReadAsync(EngineHarness.Timeout());

        Assert.Equal(ChardevEventKind.InputDropped, told!.Value.Event!.Kind);
        Assert.Equal(3, told.Value.Event.Bytes);
        Assert.Equal(ChardevState.Failed, told.Value.Event.State);
    }

    /// <summary>Reads one item: output must match the source at <paramref name="offset"/>; an overrun skips its bytes.</summary>
    private static async Task<long> TakeAtOffsetAsync(ConsoleSession console, byte[] source, long offset, Action onOverrun)
    {
        var item = (await console.ReadAsync(EngineHarness.Timeout()))!.Value;
        if (item.Event is { Kind: ChardevEventKind.Overrun } overrun)
        {
            onOverrun();
            return offset + overrun.Bytes!.Value;
        }

        Assert.False(item.IsEvent, $"unexpected event {item.Event?.Kind}");
        Assert.Equal(source.AsSpan((int)offset, item.Data.Length).ToArray(), item.Data);
        return offset + item.Data.Length;
    }

    private static async Task DrainEventsAsync(ConsoleSession console)
    {
        // The console's own "consoles" event comes first, then the seat it took; take them so the test reads what follows.
        var first = await console.ReadAsync(EngineHarness.Timeout());
        Assert.Equal(ChardevEventKind.Consoles, first!.Value.Event?.Kind);
        var seat = await console.ReadAsync(EngineHarness.Timeout());
        Assert.Equal(ChardevEventKind.Writer, seat!.Value.Event?.Kind);
        Assert.True(seat.Value.Event!.Self);
    }
}
