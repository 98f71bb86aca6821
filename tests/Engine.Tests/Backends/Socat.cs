using System.Diagnostics;
using System.Text;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>A real socat, its stdin and stdout ours: <c>socat - ADDRESS</c>.</summary>
internal sealed class Socat : IAsyncDisposable
{
    private readonly Process _process;
    private readonly MemoryStream _received = new();
    private readonly Task _pump;
    private readonly Lock _lock = new();

    private Socat(Process process)
    {
        _process = process;
        _pump = PumpAsync();
    }

    public static Socat Start(params string[] args)
    {
        var start = new ProcessStartInfo("socat") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new Socat(Process.Start(start) ?? throw new InvalidOperationException("socat did not start"));
    }

    public string Received
    {
        get
        {
            lock (_lock)
            {
                return Encoding.Latin1.GetString(_received.ToArray());
            }
        }
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>Writes <paramref name="bytes"/> to socat's stdin; a large write waits as long as what socat writes to is held.</summary>
    public async Task SendAsync(byte[] bytes)
    {
        await _process.StandardInput.BaseStream.WriteAsync(bytes, EngineHarness.Timeout(60));
        await _process.StandardInput.BaseStream.FlushAsync(EngineHarness.Timeout());
    }

    /// <summary>Waits until socat has printed <paramref name="text"/> (polling its captured output).</summary>
    public async Task WaitForAsync(string text)
    {
        var timeout = EngineHarness.Timeout();
        while (!Received.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited && _pump.IsCompleted && !Received.Contains(text, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"socat exited ({_process.ExitCode}) without printing '{text}': {await _process.StandardError.ReadToEndAsync(timeout)}");
            }

            await Task.Delay(10, timeout);
        }
    }

    /// <summary>Closes socat's stdin: it shuts its side of the connection and exits.</summary>
    public async Task CloseAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync(EngineHarness.Timeout());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync(EngineHarness.Timeout());
        await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[4096];
        int n;
        while ((n = await _process.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
        {
            lock (_lock)
            {
                _received.Write(buffer, 0, n);
            }
        }
    }
}
