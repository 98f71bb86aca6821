using System.Security.Cryptography;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests;

/// <summary>The spice rule and console isolation, with in-process consoles as subscribers.</summary>
public sealed class OutputRulesTests
{
    [Fact]
    public async Task OutputWithNoConsoleIsDiscardedAndCountedAndOnlyHistoryIsKept()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions(), history: 4096);
        var chunk = RandomNumberGenerator.GetBytes(64 << 10);
        const int chunks = 256;

        for (var i = 0; i < chunks; i++)
        {
            var write = chardev.WriteAsync(chunk, EngineHarness.Timeout());
            Assert.True(write.IsCompleted, "a write with no console must never wait");
            await write;
        }

        var total = (long)chunk.Length * chunks;
        Assert.Equal(new ChardevStats(total, total, total, 0), chardev.Stats);
        Assert.Equal(chunk[^4096..], chardev.History());
    }

    [Fact]
    public async Task AttachingConsoleGetsHistoryFirstThenLiveOutputInOrder()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions(), history: 8);
        await chardev.WriteAsync("0123456789"u8.ToArray(), EngineHarness.Timeout());

        await using var console = chardev.Attach(new ConsoleOptions());
        await chardev.WriteAsync("live"u8.ToArray(), EngineHarness.Timeout());

        var first = await console.ReadDataAsync(EngineHarness.Timeout());
        var second = await console.ReadDataAsync(EngineHarness.Timeout());
        Assert.Equal("23456789"u8.ToArray(), first);
        Assert.Equal("live"u8.ToArray(), second);
        Assert.Equal(10, chardev.Stats.OutputDropped);
    }

    [Fact]
    public async Task StalledConsoleLosesOldestOutputWhileFastConsoleGetsEveryByteAndDeviceNeverWaits()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var stalled = chardev.Attach(new ConsoleOptions { RemoteAddress = "stalled", BufferBytes = 64 << 10 });
        await using var fast = chardev.Attach(new ConsoleOptions { RemoteAddress = "fast", BufferBytes = 64 << 10 });
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long receivedBytes = 0;
        const int chunks = 512;

        for (var i = 0; i < chunks; i++)
        {
            var data = RandomNumberGenerator.GetBytes(4096);
            expected.AppendData(data);
            var write = chardev.WriteAsync(data, EngineHarness.Timeout());
            Assert.True(write.IsCompleted, "the device must never wait on a console");
            await write;
            while (fast.QueuedBytes > 0)
            {
                var chunk = (await fast.ReadAsync(EngineHarness.Timeout()))!.Value;
                Assert.NotEqual(ChardevEventKind.Overrun, chunk.Event?.Kind);
                received.AppendData(chunk.Data);
                receivedBytes += chunk.Data.Length;
            }
        }

        Assert.Equal(4096L * chunks, receivedBytes);
        Assert.Equal(expected.GetHashAndReset(), received.GetHashAndReset());
        Assert.Equal(0, fast.BytesLost);
        Assert.Equal((4096L * chunks) - (64 << 10), stalled.BytesLost);
        Assert.Equal(64 << 10, stalled.QueuedBytes);

        var events = new List<ChardevEvent>();
        while ((await stalled.ReadAsync(EngineHarness.Timeout()))!.Value is { IsEvent: true } item)
        {
            events.Add(item.Event!);
        }

        var overrun = Assert.Single(events, e => e.Kind == ChardevEventKind.Overrun);
        Assert.Equal(stalled.BytesLost, overrun.Bytes);
        Assert.Equal(stalled.BytesLost, overrun.Total);
    }

    [Fact]
    public async Task WindowPausesSendingUntilTheConsoleAcknowledges()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var console = chardev.Attach(new ConsoleOptions { WindowBytes = 10 });
        await chardev.WriteAsync("0123456789"u8.ToArray(), EngineHarness.Timeout());
        await chardev.WriteAsync("abc"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal("0123456789"u8.ToArray(), (await console.ReadDataAsync(EngineHarness.Timeout()))!);
        var paused = console.ReadDataAsync(EngineHarness.Timeout()).AsTask();
        Assert.False(paused.IsCompleted, "ten bytes are in flight, so the window of ten is full");

        console.Acknowledge(10);

        Assert.Equal("abc"u8.ToArray(), await paused.WaitAsync(EngineHarness.Timeout()));
        Assert.Equal(13, console.BytesSent);
    }

    [Fact]
    public async Task ReadOnlyConsoleCannotWrite()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("dev", new TestdevBackendOptions());
        await using var console = chardev.Attach(new ConsoleOptions { ReadOnly = true });

        var error = await Assert.ThrowsAsync<ChardevException>(async () => await console.WriteAsync("x"u8.ToArray(), EngineHarness.Timeout()));

        Assert.Equal("data", Assert.Single(error.Errors).Field);
        Assert.Equal(0, chardev.Stats.InputBytes);
    }
}
