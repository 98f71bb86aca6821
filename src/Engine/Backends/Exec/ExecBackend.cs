using System.Diagnostics;
using System.Globalization;
using CharWeb.Engine.Devices;

namespace CharWeb.Engine.Backends;

/// <summary>
/// A program run on a pty of its own, as its controlling terminal (ttyd, conserver): the chardev
/// is <c>open</c> while it runs and <c>closed</c> when it exits, with its exit code; with
/// <c>restart</c> it runs again, backing off while it keeps exiting fast and failing when it
/// exits fast too often in a row. Only what the server's <see cref="ExecPolicy"/> allows runs at all.
/// </summary>
internal sealed class ExecBackend(ExecBackendOptions options, ExecPolicy exec, TimeProvider time) : ChardevBackend
{
    public override (int Cols, int Rows) TerminalSize => (options.Cols, options.Rows);

    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private PseudoTerminal? _pty;
    private DeviceReader? _reader;
    private Process? _process;
    private DateTimeOffset _startedAt;
    private int _fastExits;
    private Task _supervisor = Task.CompletedTask;

    public static BackendKind Kind { get; } = BackendKind.Create<ExecBackendOptions>(
        "A program on a pty of its own (ttyd/conserver style); only programs listed in CharWeb:Exec:Allowed, with the arguments pinned there.",
        Validate,
        (o, c) => new ExecBackend(o, c.Exec, c.Time)).Paced();

    public override string Filename => "exec:" + options.Command;

    public override string? PtyPath => _pty?.SlavePath;

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        Start();
        _supervisor = SuperviseAsync(_stop.Token);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_pty is { } pty ? pty.Master.WriteAll(data.Span, 2000, cancellationToken) : 0);

    public override void Resize(int cols, int rows) => _pty?.Resize(cols, rows);

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Stop();
        await _supervisor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        await base.DisposeAsync();
    }

    private static IEnumerable<FieldError> Validate(ExecBackendOptions o, BackendContext context)
    {
        var argsValid = true;
        if (o.Args is null || o.Args.Any(a => a is null))
        {
            argsValid = false;
            yield return new FieldError("args", "must be a list of strings");
        }
        else if (o.Args.Any(a => a.Contains('\0')))
        {
            argsValid = false;
            yield return new FieldError("args", "must not contain NUL characters");
        }

        var exec = context.Exec;
        var entries = exec.EntriesFor(o.Command);
        if (!exec.Enabled)
        {
            yield return new FieldError("command", "exec is disabled: no program is listed in CharWeb:Exec:Allowed");
        }
        else if (entries.Count == 0)
        {
            yield return new FieldError("command", $"'{o.Command}' is not allowed; allowed: {string.Join(", ", exec.Programs.Select(p => p.Command).Distinct(StringComparer.Ordinal))} (CharWeb:Exec:Allowed)");
        }
        else if (argsValid && exec.Find(o.Command, o.Args!) is null)
        {
            var pinned = string.Join(" or ", entries.Select(e => ExecPolicy.Format(e.Args!)));
            yield return new FieldError("args", $"'{o.Command}' runs only with the arguments pinned in CharWeb:Exec:Allowed, exactly: {pinned}");
        }
    }

    private void Start()
    {
        // Checked here too, not only when the chardev was made: a stored chardev comes back after a
        // restart of the server, whose allow-list may have lost its program since.
        var args = options.Args ?? [];
        var program = exec.Find(options.Command, args)
            ?? throw new UnauthorizedAccessException($"'{options.Command}' with arguments {ExecPolicy.Format(args)} is not allowed by CharWeb:Exec:Allowed");
        if (!File.Exists(options.Command))
        {
            throw new IOException($"{options.Command}: No such file or directory");
        }

        // A program wants a normal terminal (echo, line editing), not QEMU's raw pty; the slave is
        // held open so the master does not hang up before the program has opened it.
        _pty = PseudoTerminal.Open(options.Cols, options.Rows, raw: false);
        _pty.HoldSlave();
        // sh opens the pty as fds 0-2, then setsid -c makes it the program's controlling terminal;
        // dash exports a PWD of its own, unset so the program gets exactly the environment chosen for it.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var arg in new[] { "-c", "exec 0<>\"$1\" 1>&0 2>&0; shift; unset PWD; exec setsid -c \"$@\"", "sh", _pty.SlavePath, options.Command })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (name, value) in ExecPolicy.EnvironmentOf(program))
        {
            start.Environment[name] = value;
        }

        _startedAt = time.GetUtcNow();
        _process = Process.Start(start) ?? throw new IOException($"{options.Command} did not start");
        _reader = new DeviceReader(_pty.Master, Output, _ => { }, WaitForRoom);
        SetState(ChardevState.Open);
    }

    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var process = _process!;
            try
            {
                await process.WaitForExitAsync(cancellationToken);

                // What the program said last is read before it is declared closed.
                _pty!.ReleaseSlave();
                await _reader!.Ended.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var code = process.ExitCode;
            var ran = time.GetUtcNow() - _startedAt;
            Stop();
            var exited = $"{options.Command} exited with code {code}";
            if (!options.Restart)
            {
                SetState(ChardevState.Closed, exited, code);
                return;
            }

            _fastExits = ran < exec.FastExit ? _fastExits + 1 : 0;
            if (exec.RestartDelay(_fastExits) is not { } delay)
            {
                SetState(ChardevState.Failed, string.Create(CultureInfo.InvariantCulture,
                    $"{exited}; restart gave up after {_fastExits} fast exits in a row (each run under {exec.FastExit.TotalSeconds} s)"), code);
                return;
            }

            try
            {
                // Armed before the exit is announced, so whoever hears of it can already move a fake clock past it.
                var wait = Task.Delay(delay, time, cancellationToken);
                SetState(ChardevState.Closed, string.Create(CultureInfo.InvariantCulture, $"{exited}; restarting in {delay.TotalSeconds} s"), code);
                await wait;
                Start();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                SetState(ChardevState.Failed, ex.Message);
                return;
            }
        }
    }

    private void Stop()
    {
        lock (_lock)
        {
            if (_process is { HasExited: false } running)
            {
                running.Kill(entireProcessTree: true);
                running.WaitForExit(2000);
            }

            _reader?.Dispose();
            _pty?.Dispose();
            _process?.Dispose();
            _reader = null;
            _process = null;
        }
    }
}
