using System.Collections.Concurrent;
using System.Diagnostics;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Devices;
using static CharWeb.Engine.Tests.Backends.SocketBackendTests;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>The pty backend with a real program (socat) on its slave side.</summary>
public sealed class PtyBackendTests
{
    [Fact]
    public async Task ProgramOnTheSlaveTalksBothWaysAndClosingItGivesClosedThenReopeningOpened()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("pty0", new PtyBackendOptions(), history: 1024);
        var events = new ConcurrentQueue<ChardevEventKind>();
        chardev.EventRaised += e => events.Enqueue(e.Kind);
        var slave = chardev.PtyPath!;

        Assert.Matches(@"^/dev/pts/\d+$", slave);
        Assert.Equal("pty:" + slave, chardev.Filename);
        Assert.Equal(ChardevState.Closed, chardev.State);
        Assert.Equal(0, await chardev.WriteAsync("dropped"u8.ToArray(), EngineHarness.Timeout()));

        await using (var program = Socat.Start("-", $"{slave},raw,echo=0"))
        {
            await WaitUntilAsync(() => chardev.Connected);
            await program.SendAsync("from the program\n");
            await WaitUntilAsync(() => chardev.History().Length == 17);
            Assert.Equal(12, await chardev.WriteAsync("to program\r\n"u8.ToArray(), EngineHarness.Timeout()));
            await program.WaitForAsync("to program\r\n");
        }

        await WaitUntilAsync(() => chardev.State == ChardevState.Closed);
        await using (var again = Socat.Start("-", $"{slave},raw,echo=0"))
        {
            await WaitUntilAsync(() => chardev.Connected);
            await chardev.WriteAsync("again\n"u8.ToArray(), EngineHarness.Timeout());
            await again.WaitForAsync("again\n");
        }

        Assert.Equal("from the program\n"u8.ToArray(), chardev.History());
        Assert.Equal(7, chardev.Stats.InputDropped);
        Assert.Equal(
            [ChardevEventKind.Opened, ChardevEventKind.Closed, ChardevEventKind.Opened],
            events.Where(e => e is ChardevEventKind.Opened or ChardevEventKind.Closed).Take(3));
    }

    [Fact]
    public async Task InputRightAfterAProgramOpensTheSlaveReachesIt()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("pty0", new PtyBackendOptions());
        Assert.Equal(ChardevState.Closed, chardev.State);

        // Open the slave and write at once: no waiting for the reader thread's next look.
        using var slave = DeviceFile.Open(chardev.PtyPath!);
        Assert.Equal(6, await chardev.WriteAsync("first\n"u8.ToArray(), EngineHarness.Timeout()));

        // The slave is still in canonical mode, so the line comes whole once it is there.
        Assert.True(slave.Poll(10_000).Readable, "the line never reached the program's side");
        var line = new byte[64];
        var n = slave.Read(line);
        Assert.Equal("first\n", System.Text.Encoding.ASCII.GetString(line, 0, n));
        Assert.Equal(0, chardev.Stats.InputDropped);
    }

    [Fact]
    public async Task ResizeSetsTheTerminalSizeThatProgramsSee()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("pty0", new PtyBackendOptions { Cols = 100, Rows = 30 });
        Assert.Equal("30 100", await SttySizeAsync(chardev.PtyPath!));

        chardev.Resize(132, 43);

        Assert.Equal("43 132", await SttySizeAsync(chardev.PtyPath!));
    }

    [Fact]
    public async Task RemovingThePtyFreesItsSlave()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("pty0", new PtyBackendOptions());
        var slave = chardev.PtyPath!;

        await engine.Registry.RemoveAsync("pty0", EngineHarness.Timeout());

        Assert.False(File.Exists(slave));
    }

    private static async Task<string> SttySizeAsync(string slave)
    {
        using var stty = Process.Start(new ProcessStartInfo("stty", ["-F", slave, "size"]) { RedirectStandardOutput = true })!;
        var output = await stty.StandardOutput.ReadToEndAsync(EngineHarness.Timeout());
        await stty.WaitForExitAsync(EngineHarness.Timeout());
        return output.Trim();
    }
}
