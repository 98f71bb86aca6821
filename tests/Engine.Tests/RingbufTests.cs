using CharWeb.Engine.Backends;

namespace CharWeb.Engine.Tests;

/// <summary>The ringbuf cases of QEMU's <c>tests/unit/test-char.c</c> (char_ringbuf_test), and more.</summary>
public sealed class RingbufTests
{
    [Fact]
    public async Task SizeThatIsNotAPowerOfTwoIsRefused()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("ringbuf-label", new RingbufBackendOptions { Size = 5 }));

        Assert.Equal(ChardevErrorKind.Invalid, error.Kind);
        Assert.Equal("backend.size", Assert.Single(error.Errors).Field);
        Assert.Contains("power of two", error.Errors[0].Message);
        Assert.Empty(engine.Registry.All);
    }

    [Fact]
    public async Task SizeZeroIsRefused()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("rb", new RingbufBackendOptions { Size = 0 }));

        Assert.Equal("backend.size", Assert.Single(error.Errors).Field);
    }

    [Fact]
    public async Task WriteOfFourIntoSizeTwoKeepsTheLastTwoAndReadConsumes()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("ringbuf-label", new RingbufBackendOptions { Size = 2 });

        var accepted = await chardev.WriteAsync("buff"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal(4, accepted);
        Assert.Equal("ff"u8.ToArray(), chardev.Read(4));
        Assert.Empty(chardev.Read(4));
    }

    [Fact]
    public async Task MemoryIsAnAliasOfRingbuf()
    {
        Assert.True(BackendRegistry.CreateDefault().TryGet("memory", out var kind));
        Assert.Equal("ringbuf", kind.Name);

        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("memory-label", new RingbufBackendOptions { Size = 2 });
        Assert.Equal("ringbuf", chardev.Filename);
    }

    [Fact]
    public async Task WrittenBytesAreEchoedToConsolesAndCountedAsOutput()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("rb", new RingbufBackendOptions());
        await using var console = chardev.Attach(new Consoles.ConsoleOptions());

        await chardev.WriteAsync("hello"u8.ToArray(), EngineHarness.Timeout());
        var chunk = await console.ReadDataAsync(EngineHarness.Timeout());

        Assert.Equal("hello"u8.ToArray(), chunk);
        Assert.Equal(new ChardevStats(5, 0, 5, 0), chardev.Stats);
        Assert.Equal("hello"u8.ToArray(), chardev.Read(100));
    }
}
