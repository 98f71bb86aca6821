using System.Collections.Concurrent;
using System.Text;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;
using static CharWeb.Engine.Tests.Backends.SocketBackendTests;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>The exec backend: real programs on a real pty of their own.</summary>
public sealed class ExecBackendTests
{
    private static readonly string[] Shell = ["/bin/sh"];

    [Fact]
    public async Task ProgramRunsOnItsOwnTerminalTalksAndItsExitClosesWithTheCode()
    {
        await using var engine = await EngineHarness.StartAsync(allowedPrograms: Shell);
        var chardev = await engine.CreateAsync("job", new ExecBackendOptions
        {
            Command = "/bin/sh",
            Args = ["-c", "tty; stty size; read line; echo got:$line; exit 7"],
            Cols = 100,
            Rows = 30,
        }, history: 4096);
        var closed = new TaskCompletionSource<ChardevEvent>();
        chardev.EventRaised += e =>
        {
            if (e.Kind == ChardevEventKind.Closed)
            {
                closed.TrySetResult(e);
            }
        };

        await WaitUntilAsync(() => Text(chardev).Contains("30 100", StringComparison.Ordinal));
        Assert.StartsWith(chardev.PtyPath!, Text(chardev));
        Assert.Equal("exec:/bin/sh", chardev.Filename);
        await chardev.WriteAsync("abc\r"u8.ToArray(), EngineHarness.Timeout());

        var e = await closed.Task.WaitAsync(EngineHarness.Timeout());
        Assert.Equal(7, e.ExitCode);
        Assert.Contains("exited with code 7", e.Reason);
        Assert.Contains("got:abc", Text(chardev));
        Assert.Equal(ChardevState.Closed, chardev.State);
    }

    [Fact]
    public async Task ConsoleResizeReachesTheProgram()
    {
        await using var engine = await EngineHarness.StartAsync(allowedPrograms: Shell);
        var chardev = await engine.CreateAsync("sh", new ExecBackendOptions { Command = "/bin/sh" }, history: 4096);
        await using var console = chardev.Attach(new ConsoleOptions());

        console.Resize(132, 43);
        await chardev.WriteAsync("stty size\r"u8.ToArray(), EngineHarness.Timeout());

        await WaitUntilAsync(() => Text(chardev).Contains("43 132", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RestartRunsTheProgramAgainAfterItExits()
    {
        await using var engine = await EngineHarness.StartAsync(allowedPrograms: Shell);
        var chardev = await engine.CreateAsync("again", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "echo run; exit 0"], Restart = true }, history: 4096);
        var kinds = new ConcurrentQueue<ChardevEventKind>();
        chardev.EventRaised += e => kinds.Enqueue(e.Kind);

        var timeout = EngineHarness.Timeout();
        while (kinds.Count(k => k == ChardevEventKind.Opened) < 2)
        {
            engine.Time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(10, timeout);
        }

        Assert.True(Text(chardev).Split("run").Length - 1 >= 2, Text(chardev));
    }

    [Fact]
    public async Task ProgramsNotOnTheAllowListAreRefusedAndExecIsOffByDefault()
    {
        await using var allowed = await EngineHarness.StartAsync(allowedPrograms: Shell);
        await using var defaults = await EngineHarness.StartAsync();

        var notListed = await Assert.ThrowsAsync<ChardevException>(() => allowed.CreateAsync("x", new ExecBackendOptions { Command = "/usr/bin/python3" }));
        var disabled = await Assert.ThrowsAsync<ChardevException>(() => defaults.CreateAsync("x", new ExecBackendOptions { Command = "/bin/sh" }));

        Assert.Contains("'/usr/bin/python3' is not allowed; allowed: /bin/sh", Assert.Single(notListed.Errors).Message);
        Assert.Equal("backend.command", notListed.Errors[0].Field);
        Assert.Contains("exec is disabled", Assert.Single(disabled.Errors).Message);
    }

    private static string Text(Chardev chardev) => Encoding.UTF8.GetString(chardev.History());
}
