using System.Diagnostics;
using CharWeb.Engine.Devices;

namespace CharWeb.Engine.Backends;

/// <summary>
/// A program run on a pty of its own, as its controlling terminal (ttyd, conserver): the chardev
/// is <c>open</c> while it runs and <c>closed</c> when it exits, with its exit code; with
/// <c>restart</c> it runs again. Only programs in the server's allow-list run at all.
/// </summary>
public sealed class ExecBackend(ExecBackendOptions options, TimeProvider time) : ChardevBackend
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private PseudoTerminal? _pty;
    private DeviceReader? _reader;
    private Process? _process;
    private Task _supervisor = Task.CompletedTask;

    public static BackendKind Kind { get; } = BackendKind.Create<ExecBackendOptions>(
        "A program on a pty of its own (ttyd/conserver style); only programs listed in CharWeb:Exec:Allowed.",
        Validate,
        (o, c) => new ExecBackend(o, c.Time));

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
        if (context.AllowedPrograms.Count == 0)
        {
            yield return new FieldError("command", "exec is disabled: no program is listed in CharWeb:Exec:Allowed");
        }
        else if (!context.AllowedPrograms.Contains(o.Command, StringComparer.Ordinal))
        {
            yield return new FieldError("command", $"'{o.Command}' is not allowed; allowed: {string.Join(", ", context.AllowedPrograms)} (CharWeb:Exec:Allowed)");
        }

        if (o.Args is null || o.Args.Any(a => a is null))
        {
            yield return new FieldError("args", "must be a list of strings");
        }
        else if (o.Args.Any(a => a.Contains('\0')))
        {
            yield return new FieldError("args", "must not contain NUL characters");
        }
    }

    private void Start()
    {
        if (!File.Exists(options.Command))
        {
            throw new IOException($"{options.Command}: No such file or directory");
        }

        // A program wants a normal terminal (echo, line editing), not QEMU's raw pty; the slave is
        // held open so the master does not hang up before the program has opened it.
        _pty = PseudoTerminal.Open(options.Cols, options.Rows, raw: false);
        _pty.HoldSlave();
        // sh opens the pty as fds 0-2, then setsid -c makes it the program's controlling terminal.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var arg in new[] { "-c", "exec 0<>\"$1\" 1>&0 2>&0; shift; exec setsid -c \"$@\"", "sh", _pty.SlavePath, options.Command })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var arg in options.Args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TERM"] = "xterm-256color";
        _process = Process.Start(start) ?? throw new IOException($"{options.Command} did not start");
        _reader = new DeviceReader(_pty.Master, Output, _ => { });
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
            Stop();
            SetState(ChardevState.Closed, $"{options.Command} exited with code {code}", code);
            if (!options.Restart)
            {
                return;
            }

            try
            {
                await Task.Delay(RestartDelay, time, cancellationToken);
                Start();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (IOException ex)
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
