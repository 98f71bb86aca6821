using System.Net;
using System.Net.Sockets;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests;

/// <summary>Lossless while watched: a paced device is read as fast as the fastest console takes output; a stalled console never holds it.</summary>
public sealed class OutputPacingTests
{
    private const int Flood = 8 << 20;
    // Room for a few reads of the device: pacing keeps a console that keeps up under it.
    private const int SmallBuffer = 256 << 10;

    [Theory]
    [InlineData("socket")]
    [InlineData("pty")]
    public async Task AConsoleThatKeepsUpGetsEveryByteOfAFloodFarLargerThanItsBuffer(string kind)
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await DeviceAsync(engine, kind, FlowPolicy.Pace);
        await using var console = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });

        // The same reader that loses output under flow: drop (below): here the device waits for it.
        var (received, lost) = await FloodAndReadAsync(chardev, kind, console);

        Assert.Equal(0, lost);
        Assert.Equal(Pattern(), received);
        Assert.Equal(0, console.BytesLost);
        Assert.Equal(Flood, chardev.Stats.OutputBytes);
    }

    [Theory]
    [InlineData("socket")]
    [InlineData("pty")]
    public async Task WithFlowDropTheSameConsoleLosesOutputAsBefore(string kind)
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await DeviceAsync(engine, kind, FlowPolicy.Drop);
        await using var console = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });

        // The reader lags: the device, never held under drop, gets 1 MiB ahead of a 256 KiB buffer.
        var (received, lost) = await FloodAndReadAsync(chardev, kind, console);

        Assert.True(lost > 0, $"nothing was lost ({received.Length} received)");
        Assert.Equal(Flood, received.Length + lost);
    }

    [Fact]
    public async Task AConsoleThatTakesNothingHoldsTheDeviceOnlyUntilItCountsAsStalled()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await ServerAsync(engine, FlowPolicy.Pace);
        await using var stalled = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });
        using var peer = new TcpClient();
        await peer.ConnectAsync(IPAddress.Loopback, EngineHarness.PortOf(chardev), EngineHarness.Timeout());
        var push = peer.GetStream().WriteAsync(new byte[Flood], EngineHarness.Timeout()).AsTask();

        // Held: the console's queue fills to its pace and the device stops being read.
        await EngineHarness.WaitUntilAsync(() => chardev.Stats.OutputBytes >= SmallBuffer / 2, "the first output");
        Assert.False(push.IsCompleted);
        var held = chardev.Stats.OutputBytes;
        Assert.True(held < Flood / 2, $"{held} bytes read while the only console took nothing");

        // Past the stall time the console no longer holds the device: it is read flat out and the console loses.
        // Time goes on passing, as it does for a server: a look at the stall that was re-armed just before is taken too.
        engine.Time.Advance(ConsoleSession.StallAfter + TimeSpan.FromSeconds(1));
        await EngineHarness.WaitUntilAsync(
            () =>
            {
                engine.Time.Advance(TimeSpan.FromMilliseconds(100));
                return chardev.Stats.OutputBytes == Flood;
            },
            "the whole flood read");
        await push.WaitAsync(EngineHarness.Timeout());
        Assert.True(stalled.BytesLost > 0);
    }

    [Fact]
    public async Task AConsoleThatWaitedLongerThanTheStallTimeForOutputStillHoldsTheDeviceWhenOutputComes()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await ServerAsync(engine, FlowPolicy.Pace);
        await using var console = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });

        // Nothing to take for longer than the stall time: waiting for the device is not taking nothing.
        engine.Time.Advance(ConsoleSession.StallAfter + TimeSpan.FromSeconds(1));
        var (received, lost) = await PushAndReadAsync(chardev, console, slow: true);

        Assert.Equal(0, lost);
        Assert.Equal(Flood, received);
    }

    [Fact]
    public async Task AStalledConsoleHoldsTheDeviceOnlyForItsLagBudgetWhileAnotherKeepsUp()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await ServerAsync(engine, FlowPolicy.Pace);
        await using var stalled = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });
        await using var reader = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });
        using var peer = new TcpClient();
        await peer.ConnectAsync(IPAddress.Loopback, EngineHarness.PortOf(chardev), EngineHarness.Timeout());
        var push = peer.GetStream().WriteAsync(new byte[Flood], EngineHarness.Timeout(60)).AsTask();
        var gate = ((IBackendOwner)chardev).Gate;
        var timeout = EngineHarness.Timeout(60);
        var waited = TimeSpan.Zero;
        long received = 0, lost = 0;
        while (received + lost < Flood)
        {
            await EngineHarness.WaitUntilAsync(() => reader.QueuedBytes > 0 || !gate.IsOpen || chardev.Stats.OutputBytes == Flood, "output, or the device held");
            if (reader.QueuedBytes == 0 && !gate.IsOpen)
            {
                // The reader has room, so only the stalled console holds the device: let time pass.
                engine.Time.Advance(TimeSpan.FromMilliseconds(100));
                waited += TimeSpan.FromMilliseconds(100);
                continue;
            }

            var item = await reader.ReadAsync(timeout) ?? throw new InvalidOperationException("the console ended");
            lost += item.Event is { Kind: ChardevEventKind.Overrun } overrun ? overrun.Bytes ?? 0 : 0;
            received += item.Data.Length;
            reader.Acknowledge(received);
        }

        await push.WaitAsync(timeout);
        Assert.Equal(Flood, received);
        Assert.Equal(0, lost);
        Assert.True(stalled.BytesLost > 0);
        // Held for the stalled console's budget, and its refill for the time that budget took, not for the whole flood.
        Assert.InRange(waited, LagBudget.Capacity, LagBudget.Capacity + TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task TwoConsolesThatLagInTurnAreBothWaitedForAndNeitherLosesAByte()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await ServerAsync(engine, FlowPolicy.Pace);
        await using var eager = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });
        await using var lagging = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });
        var gate = ((IBackendOwner)chardev).Gate;

        // The eager console reads whatever it is given; the other only once the device is held for it.
        // Under "pace to the fastest" alone the device would run 1 MiB ahead of the lagging one's 256 KiB buffer.
        var eagerRead = ReadAllAsync(eager);
        var (received, lost) = await PushAndReadAsync(chardev, lagging, slow: true);
        var (eagerReceived, eagerLost) = await eagerRead.WaitAsync(EngineHarness.Timeout(60));

        Assert.Equal((Flood, 0L), (received, lost));
        Assert.Equal((Flood, 0L), (eagerReceived, eagerLost));
        Assert.True(gate.IsOpen);
    }

    [Fact]
    public void ALagBudgetRunsOutAndRefillsAtItsRate()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var budget = new LagBudget(time);

        budget.Spend(TimeSpan.FromMilliseconds(300));
        var afterSpend = budget.Left;
        budget.Spend(TimeSpan.FromSeconds(5));
        var exhausted = budget.Left;
        time.Advance(TimeSpan.FromSeconds(2));
        var refilled = budget.Left;
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(TimeSpan.FromMilliseconds(200), afterSpend);
        Assert.Equal(TimeSpan.Zero, exhausted);
        Assert.Equal(TimeSpan.FromSeconds(2) * LagBudget.RefillRate, refilled);
        Assert.Equal(LagBudget.Capacity, budget.Left);
    }

    private static async Task<(long Received, long Lost)> ReadAllAsync(ConsoleSession console)
    {
        long received = 0, lost = 0;
        var timeout = EngineHarness.Timeout(60);
        while (received + lost < Flood)
        {
            var item = await console.ReadAsync(timeout) ?? throw new InvalidOperationException("the console ended");
            lost += item.Event is { Kind: ChardevEventKind.Overrun } overrun ? overrun.Bytes ?? 0 : 0;
            received += item.Data.Length;
            console.Acknowledge(received);
        }

        return (received, lost);
    }

    private static async Task<Chardev> ServerAsync(EngineHarness engine, FlowPolicy flow) =>
        await engine.Registry.CreateAsync(
            new ChardevDefinition { Id = "vm", Flow = flow, Backend = new SocketBackendOptions { Server = true, Addr = new SocketAddressOptions { Host = "127.0.0.1", Port = 0 } } },
            EngineHarness.Timeout());

    /// <summary>A chardev of <paramref name="kind"/>, a device that can be paced: a TCP server, or a pty.</summary>
    private static Task<Chardev> DeviceAsync(EngineHarness engine, string kind, FlowPolicy flow) => kind == "pty"
        ? engine.Registry.CreateAsync(new ChardevDefinition { Id = "pty", Flow = flow, Backend = new PtyBackendOptions() }, EngineHarness.Timeout())
        : ServerAsync(engine, flow);

    /// <summary>A real TCP peer pushes the flood while <paramref name="console"/> reads; answers the bytes it got and the bytes it was told it lost.</summary>
    private static async Task<(long Received, long Lost)> PushAndReadAsync(Chardev chardev, ConsoleSession console, bool slow = false)
    {
        var (received, lost) = await FloodAndReadAsync(chardev, "socket", console, slow);
        return (received.Length, lost);
    }

    /// <summary>
    /// <see cref="Pattern"/> into the device while <paramref name="console"/> reads, lagging unless told otherwise: from a real TCP
    /// peer, or from a real program (socat) on the pty's slave.
    /// </summary>
    private static async Task<(byte[] Received, long Lost)> FloodAndReadAsync(Chardev chardev, string kind, ConsoleSession console, bool slow = true)
    {
        if (kind == "pty")
        {
            await using var program = Backends.Socat.Start("-u", "-", $"{chardev.PtyPath},raw,echo=0");
            return await ReadWhileAsync(program.SendAsync(Pattern()), chardev, console, slow);
        }

        using var peer = new TcpClient();
        await peer.ConnectAsync(IPAddress.Loopback, EngineHarness.PortOf(chardev), EngineHarness.Timeout());
        return await ReadWhileAsync(peer.GetStream().WriteAsync(Pattern(), EngineHarness.Timeout(60)).AsTask(), chardev, console, slow);
    }

    /// <summary>Every byte value, over and over, so that a byte lost or out of order shows.</summary>
    private static byte[] Pattern() => Enumerable.Range(0, Flood).Select(i => (byte)(i % 251)).ToArray();

    /// <summary>Reads <paramref name="console"/> until the whole flood is accounted for, then <paramref name="push"/> must be done; answers the bytes it got and the bytes it was told it lost.</summary>
    private static async Task<(byte[] Received, long Lost)> ReadWhileAsync(Task push, Chardev chardev, ConsoleSession console, bool slow)
    {
        var received = new MemoryStream();
        long lost = 0;
        var timeout = EngineHarness.Timeout(60);
        var gate = ((IBackendOwner)chardev).Gate;
        while (received.Length + lost < Flood)
        {
            if (slow)
            {
                // A reader that falls far behind whenever the device lets it: it reads only once the device is held,
                // or is 1 MiB ahead of it (four times its buffer), or has said everything.
                await EngineHarness.WaitUntilAsync(
                    () => !gate.IsOpen || chardev.Stats.OutputBytes - (received.Length + lost) >= 1 << 20 || chardev.Stats.OutputBytes == Flood,
                    "the device to be held or far ahead");
            }

            var item = await console.ReadAsync(timeout) ?? throw new InvalidOperationException("the console ended");
            if (item.Event is { Kind: ChardevEventKind.Overrun } overrun)
            {
                lost += overrun.Bytes ?? 0;
            }

            received.Write(item.Data);
            console.Acknowledge(received.Length);
        }

        await push.WaitAsync(timeout);
        return (received.ToArray(), lost);
    }
}
