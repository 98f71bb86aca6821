using System.ComponentModel;
using System.Diagnostics;

namespace CharWeb.Bench;

/// <summary>
/// A program of its own writing a file flat out into a terminal: <c>dd</c> once through, or a shell
/// loop of <c>cat</c> until stopped, so the harness's own threads never pace the device.
/// </summary>
public sealed class FlatOutWriter : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private FlatOutWriter(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
    }

    /// <summary>Writes a file of <paramref name="bytes"/> bytes of <see cref="SocketPush.Pattern"/>; answers its path.</summary>
    public static async Task<string> CreateSourceAsync(string path, long bytes, CancellationToken cancellationToken)
    {
        var chunk = SocketPush.Pattern();
        await using var file = File.Create(path);
        for (var left = bytes; left > 0; left -= chunk.Length)
        {
            await file.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)), cancellationToken);
        }

        return path;
    }

    /// <summary><c>dd if=source of=target bs=64k</c>: the whole file once, then exits.</summary>
    public static FlatOutWriter Once(string source, string target) =>
        Start("dd", "dd (apt-get install coreutils)", $"if={source}", $"of={target}", "bs=64k", "conv=notrunc", "status=none");

    /// <summary><c>cat source</c> into <c>target</c> over and over until disposed.</summary>
    public static FlatOutWriter Looping(string source, string target) =>
        Start("sh", "sh and cat (apt-get install dash coreutils)", "-c", "while cat \"$1\"; do :; done > \"$2\"", "flat-out-writer", source, target);

    /// <summary>Waits for a writer started <see cref="Once"/> to finish; throws if it failed or took too long.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the writer did not finish within {timeout.TotalSeconds:0} s (is the reader stuck?)");
        }

        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the writer exited with {_process.ExitCode}: {await _stderr}");
        }
    }

    /// <summary>Throws if a writer started <see cref="Looping"/> has stopped on its own (it never should).</summary>
    public async Task EnsureRunningAsync()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"the writer stopped early with {_process.ExitCode}: {await _stderr}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None);
        await ((Task)_stderr).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private static FlatOutWriter Start(string program, string install, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            return new FlatOutWriter(Process.Start(start)!);
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"cannot run {program}: {ex.Message}; needs {install}", ex);
        }
    }
}
