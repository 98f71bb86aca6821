using System.Diagnostics;

namespace CharWeb.Bench;

/// <summary>Debian's <c>redis-server</c> for the cluster scenarios: in memory, on a loopback port of its own, killed at the end.</summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;

    private RedisProcess(Process process, int port)
    {
        _process = process;
        Connection = $"127.0.0.1:{port}";
    }

    /// <summary>The StackExchange.Redis connection string, for <c>CharWeb__Cluster__Redis</c>.</summary>
    public string Connection { get; }

    public static async Task<RedisProcess> StartAsync(CancellationToken cancellationToken)
    {
        var port = Ser2netProcess.FreePort();
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server)");
        using var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ready.CancelAfter(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(ready.Token) is { } line)
        {
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                return new RedisProcess(process, port);
            }
        }

        process.Kill();
        process.Dispose();
        throw new InvalidOperationException("redis-server exited before it was ready");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }
}
