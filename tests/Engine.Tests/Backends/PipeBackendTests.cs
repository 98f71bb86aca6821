using System.Diagnostics;
using CharWeb.Engine.Backends;
using static CharWeb.Engine.Tests.Backends.SocketBackendTests;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>The pipe backend on real FIFOs, with socat writing and reading them.</summary>
public sealed class PipeBackendTests
{
    [Fact]
    public async Task InFifoIsReadAsOutputAndInputGoesToTheOutFifo()
    {
        await using var engine = await EngineHarness.StartAsync();
        var path = Path.Combine(engine.DataDir, "guest");
        await MkfifoAsync(path + ".in");
        await MkfifoAsync(path + ".out");
        var chardev = await engine.CreateAsync("p", new PipeBackendOptions { Path = "guest" }, history: 256);
        Assert.Equal(ChardevState.Open, chardev.State);

        await using (var writer = Socat.Start("-u", "-", $"PIPE:{path}.in"))
        {
            await writer.SendAsync("into the fifo\n");
            await WaitUntilAsync(() => chardev.History().Length == 14);
        }

        await using var reader = Socat.Start("-u", $"PIPE:{path}.out", "-");
        Assert.Equal(9, await chardev.WriteAsync("out fifo\n"u8.ToArray(), EngineHarness.Timeout()));
        await reader.WaitForAsync("out fifo\n");
        Assert.Equal("into the fifo\n"u8.ToArray(), chardev.History());
        Assert.Equal(ChardevState.Open, chardev.State);
    }

    [Fact]
    public async Task OneFifoServesBothWaysWhenThereIsNoInAndOutPair()
    {
        await using var engine = await EngineHarness.StartAsync();
        var path = Path.Combine(engine.DataDir, "both");
        await MkfifoAsync(path);
        var chardev = await engine.CreateAsync("p", new PipeBackendOptions { Path = "both" }, history: 256);

        await using var writer = Socat.Start("-u", "-", $"PIPE:{path}");
        await writer.SendAsync("single\n");

        await WaitUntilAsync(() => chardev.History().Length == 7);
        Assert.Equal("single\n"u8.ToArray(), chardev.History());
    }

    [Fact]
    public async Task MissingFifoFailsWithTheOsReason()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("p", new PipeBackendOptions { Path = "absent" }));

        Assert.Equal(ChardevErrorKind.OpenFailed, error.Kind);
        Assert.Contains("No such file or directory", error.Message);
    }

    private static async Task MkfifoAsync(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        await mkfifo.WaitForExitAsync(EngineHarness.Timeout());
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
