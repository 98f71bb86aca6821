using System.Text;
using System.Threading.Channels;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

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

        await EngineHarness.WaitUntilAsync(() => Text(chardev).Contains("30 100", StringComparison.Ordinal), "stty's answer");
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
    public async Task AProgramSwappedInGivesAConsoleAllItsOutputBeforeItsExit()
    {
        await using var engine = await EngineHarness.StartAsync(allowedPrograms: Shell);
        var chardev = await engine.CreateAsync("swap", new TestdevBackendOptions());
        await using var console = chardev.Attach(new ConsoleOptions { WindowBytes = 512 << 10 });
        for (var run = 1; run <= 3; run++)
        {
            await engine.Registry.ChangeBackendAsync("swap", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "head -c 100000 /dev/zero | tr '\\0' x"] }, EngineHarness.Timeout());
            var before = 0L;
            var seen = new List<string>();
            while (await console.ReadAsync(EngineHarness.Timeout()) is { } item)
            {
                if (item.Event is { } e)
                {
                    seen.Add(e.Kind.ToString());
                    if (e.Kind == ChardevEventKind.Closed && e.Reason?.Contains("exited", StringComparison.Ordinal) == true)
                    {
                        break;
                    }

                    continue;
                }

                before += item.Data.Count(b => b == (byte)'x');
                seen.Add($"{item.Data.Length} bytes");
                console.Acknowledge(console.BytesSent);
            }

            Assert.True(before == 100_000, $"run {run}: {before} of 100000 bytes came before the exit: {string.Join(", ", seen)}");
        }
    }

    [Fact]
    public async Task ConsoleResizeReachesTheProgram()
    {
        await using var engine = await EngineHarness.StartAsync(allowedPrograms: Shell);
        var chardev = await engine.CreateAsync("sh", new ExecBackendOptions { Command = "/bin/sh" }, history: 4096);
        await using var console = chardev.Attach(new ConsoleOptions());

        console.Resize(132, 43);
        await chardev.WriteAsync("stty size\r"u8.ToArray(), EngineHarness.Timeout());

        await EngineHarness.WaitUntilAsync(() => Text(chardev).Contains("43 132", StringComparison.Ordinal), "the new size");
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

    [Fact]
    public async Task BarePathTakesAnyArguments()
    {
        await using var engine = await EngineHarness.StartAsync(allowedPrograms: Shell);

        var one = await engine.CreateAsync("one", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "echo first; read x"] }, history: 4096);
        var two = await engine.CreateAsync("two", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "echo second; read x"] }, history: 4096);

        await EngineHarness.WaitUntilAsync(() => Text(one).Contains("first", StringComparison.Ordinal) && Text(two).Contains("second", StringComparison.Ordinal), "both programs' output");
    }

    [Fact]
    public async Task PinnedArgumentsRunAndAnyOtherArgumentsAreRefusedNamingThePinnedList()
    {
        var exec = new ExecPolicy([new ExecProgram("/bin/sh") { Args = ["-c", "echo pinned; read x"] }]);
        await using var engine = await EngineHarness.StartAsync(exec: exec);

        var pinned = await engine.CreateAsync("pinned", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "echo pinned; read x"] }, history: 4096);
        var other = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("other", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "id"] }));
        var none = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("none", new ExecBackendOptions { Command = "/bin/sh" }));

        await EngineHarness.WaitUntilAsync(() => Text(pinned).Contains("pinned", StringComparison.Ordinal), "the pinned program's output");
        foreach (var refused in new[] { other, none })
        {
            var error = Assert.Single(refused.Errors);
            Assert.Equal("backend.args", error.Field);
            Assert.Contains("""exactly: ["-c", "echo pinned; read x"]""", error.Message);
        }

        Assert.False(engine.Registry.TryGet("other", out _));
        Assert.False(engine.Registry.TryGet("none", out _));
    }

    [Fact]
    public async Task ProgramGetsOnlyTheCleanEnvironmentAndItsEntrysEnvNothingOfTheServers()
    {
        const string Secret = "CharWeb__Auth__Oidc__ClientSecret";
        var exec = new ExecPolicy([new ExecProgram("/usr/bin/env") { Args = [], Env = new Dictionary<string, string> { ["CHARWEB_PROBE"] = "from the entry" } }]);
        await using var engine = await EngineHarness.StartAsync(exec: exec);
        Environment.SetEnvironmentVariable(Secret, "server-only");
        try
        {
            var chardev = await engine.CreateAsync("env", new ExecBackendOptions { Command = "/usr/bin/env" }, history: 8192);

            // Closed comes after the program's last output has been read.
            await EngineHarness.WaitUntilAsync(() => chardev.State == ChardevState.Closed, "env to exit");
            var variables = Text(chardev).Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv[1]);

            Assert.Equal(["CHARWEB_PROBE", "HOME", "LANG", "PATH", "TERM"], variables.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("from the entry", variables["CHARWEB_PROBE"]);
            Assert.Equal(ExecPolicy.SafePath, variables["PATH"]);
            Assert.Equal("xterm-256color", variables["TERM"]);
            Assert.DoesNotContain("server-only", Text(chardev));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Secret, null);
        }
    }

    [Fact]
    public async Task RestartBacksOffDoublingAndGivesUpAfterTooManyFastExitsWithTheLastExitCode()
    {
        await using var engine = await EngineHarness.StartAsync(allowedPrograms: Shell);
        // Each run waits for a line, so no exit happens before the test listens.
        var chardev = await engine.CreateAsync("again", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "read x; echo run; exit 3"], Restart = true }, history: 4096);
        var events = Events.Of(chardev);

        foreach (var seconds in new[] { 1, 2, 4, 8 })
        {
            await chardev.WriteAsync("\r"u8.ToArray(), EngineHarness.Timeout());
            var closed = await events.NextAsync(ChardevEventKind.Closed);
            Assert.Equal(3, closed.ExitCode);
            Assert.EndsWith($"exited with code 3; restarting in {seconds} s", closed.Reason);
            engine.Time.Advance(TimeSpan.FromSeconds(seconds));
            await events.NextAsync(ChardevEventKind.Opened);
        }

        await chardev.WriteAsync("\r"u8.ToArray(), EngineHarness.Timeout());
        var failed = await events.NextAsync(ChardevEventKind.Failed);
        const string GaveUp = "/bin/sh exited with code 3; restart gave up after 5 fast exits in a row (each run under 10 s)";
        Assert.Equal(GaveUp, failed.Reason);
        Assert.Equal(ChardevState.Failed, chardev.State);
        Assert.Equal(GaveUp, chardev.LastError);
        Assert.Equal(5, Text(chardev).Split("run").Length - 1);
    }

    [Fact]
    public async Task ARunLongerThanFastExitSecondsResetsTheCount()
    {
        // Two fast exits in a row give up here; a long run between them starts the count again.
        var exec = new ExecPolicy([new ExecProgram("/bin/sh")], fastExit: TimeSpan.FromSeconds(10), maxFastExits: 2);
        await using var engine = await EngineHarness.StartAsync(exec: exec);
        var chardev = await engine.CreateAsync("job", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "read code; exit $code"], Restart = true });
        var events = Events.Of(chardev);

        async Task<ChardevEvent> ExitAsync(int code)
        {
            await chardev.WriteAsync(Encoding.ASCII.GetBytes($"{code}\r"), EngineHarness.Timeout());
            return await events.NextAsync(code == 4 ? ChardevEventKind.Failed : ChardevEventKind.Closed);
        }

        Assert.EndsWith("exited with code 1; restarting in 1 s", (await ExitAsync(1)).Reason);
        engine.Time.Advance(TimeSpan.FromSeconds(1));
        await events.NextAsync(ChardevEventKind.Opened);
        engine.Time.Advance(TimeSpan.FromSeconds(11));
        Assert.EndsWith("exited with code 2; restarting in 1 s", (await ExitAsync(2)).Reason);
        engine.Time.Advance(TimeSpan.FromSeconds(1));
        await events.NextAsync(ChardevEventKind.Opened);
        Assert.EndsWith("exited with code 3; restarting in 1 s", (await ExitAsync(3)).Reason);
        engine.Time.Advance(TimeSpan.FromSeconds(1));
        await events.NextAsync(ChardevEventKind.Opened);

        Assert.Contains("exited with code 4; restart gave up after 2 fast exits in a row", (await ExitAsync(4)).Reason);
        Assert.Equal(ChardevState.Failed, chardev.State);
    }

    [Fact]
    public async Task StoredChardevWhoseArgumentsAreNoLongerAllowedComesBackFailedWithoutRunning()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var before = await EngineHarness.StartAsync(dataDir, allowedPrograms: Shell))
        {
            await before.CreateAsync("job", new ExecBackendOptions { Command = "/bin/sh", Args = ["-c", "read x"] });
        }

        var pinned = new ExecPolicy([new ExecProgram("/bin/sh") { Args = ["-c", "echo pinned"] }]);
        await using var after = await EngineHarness.StartAsync(dataDir, exec: pinned);

        var job = after.Registry.Get("job");
        Assert.Equal(ChardevState.Failed, job.State);
        Assert.StartsWith("refused by today's policy: backend.args: '/bin/sh' runs only with the arguments", job.LastError);
        Assert.Equal("refused", job.Filename);
        Assert.Null(job.PtyPath);
    }

    private static string Text(Chardev chardev) => Encoding.UTF8.GetString(chardev.History());

    /// <summary>One chardev's events in order, from the moment the test subscribes.</summary>
    private sealed class Events
    {
        private readonly Channel<ChardevEvent> _events = Channel.CreateUnbounded<ChardevEvent>();

        public static Events Of(Chardev chardev)
        {
            var events = new Events();
            chardev.EventRaised += e => events._events.Writer.TryWrite(e);
            return events;
        }

        /// <summary>The next event of <paramref name="kind"/>; the ones before it are passed over.</summary>
        public async Task<ChardevEvent> NextAsync(ChardevEventKind kind)
        {
            var timeout = EngineHarness.Timeout();
            while (true)
            {
                var e = await _events.Reader.ReadAsync(timeout);
                if (e.Kind == kind)
                {
                    return e;
                }
            }
        }
    }
}
