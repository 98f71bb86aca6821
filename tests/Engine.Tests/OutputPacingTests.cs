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

    [Fact]
    public async Task AConsoleThatKeepsUpGetsEveryByteOfAFloodFarLargerThanItsBuffer()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await ServerAsync(engine, FlowPolicy.Pace);
        await using var console = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });

        // The same reader that loses output under flow: drop (below): here the device waits for it.
        var (received, lost) = await PushAndReadAsync(chardev, console, slow: true);

        Assert.Equal(Flood, received);
        Assert.Equal(0, lost);
        Assert.Equal(0, console.BytesLost);
        Assert.Equal(Flood, chardev.Stats.OutputBytes);
    }

    [Fact]
    public async Task WithFlowDropTheSameConsoleLosesOutputAsBefore()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await ServerAsync(engine, FlowPolicy.Drop);
        await using var console = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });

        // The reader lags: the device, never held under drop, gets 1 MiB ahead of a 256 KiB buffer.
        var (received, lost) = await PushAndReadAsync(chardev, console, slow: true);

        Assert.True(lost > 0, $"nothing was lost ({received} received)");
        Assert.Equal(Flood, received + lost);
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
        engine.Time.Advance(ConsoleSession.StallAfter + TimeSpan.FromSeconds(1));
        await push.WaitAsync(EngineHarness.Timeout());
        await EngineHarness.WaitUntilAsync(() => chardev.Stats.OutputBytes == Flood, "the whole flood read");
        Assert.True(stalled.BytesLost > 0);
    }

    [Fact]
    public async Task AStalledConsoleDoesNotSlowAConsoleThatKeepsUp()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await ServerAsync(engine, FlowPolicy.Pace);
        await using var stalled = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });
        await using var reader = chardev.Attach(new ConsoleOptions { BufferBytes = SmallBuffer });

        var (received, lost) = await PushAndReadAsync(chardev, reader, slow: true);

        Assert.Equal(Flood, received);
        Assert.Equal(0, lost);
        Assert.True(stalled.BytesLost > 0);
    }

    private static async Task<Chardev> ServerAsync(EngineHarness engine, FlowPolicy flow) =>
        await engine.Registry.CreateAsync(
            new ChardevDefinition { Id = "vm", Flow = flow, Backend = new SocketBackendOptions { Server = true, Addr = new SocketAddressOptions { Host = "127.0.0.1", Port = 0 } } },
            EngineHarness.Timeout());

    /// <summary>A real TCP peer pushes the flood while <paramref name="console"/> reads; answers the bytes it got and the bytes it was told it lost.</summary>
    private static async Task<(long Received, long Lost)> PushAndReadAsync(Chardev chardev, ConsoleSession console, bool slow = false)
    {
        using var peer = new TcpClient();
        await peer.ConnectAsync(IPAddress.Loopback, EngineHarness.PortOf(chardev), EngineHarness.Timeout());
        var push = peer.GetStream().WriteAsync(new byte[Flood], EngineHarness.Timeout(60)).AsTask();
        long received = 0, lost = 0;
        var timeout = EngineHarness.Timeout(60);
        var gate = ((IBackendOwner)chardev).Gate;
        while (received + lost < Flood)
        {
            if (slow)
            {
                // A reader that falls far behind whenever the device lets it: it reads only once the device is held,
                // or is 1 MiB ahead of it (four times its buffer), or has said everything.
                await EngineHarness.WaitUntilAsync(
                    () => !gate.IsOpen || chardev.Stats.OutputBytes - (received + lost) >= 1 << 20 || chardev.Stats.OutputBytes == Flood,
                    "the device to be held or far ahead");
            }

            var item = await console.ReadAsync(timeout) ?? throw new InvalidOperationException("the console ended");
            if (item.Event is { Kind: ChardevEventKind.Overrun } overrun)
            {
                lost += overrun.Bytes ?? 0;
            }

            received += item.Data.Length;
            console.Acknowledge(received);
        }

        await push.WaitAsync(timeout);
        return (received, lost);
    }
}
