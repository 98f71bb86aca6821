using System.Diagnostics;

namespace CharWeb.Api.Tests.Cluster;

/// <summary>A real <c>redis-server</c> (Debian's package) on a free loopback port, in memory only, killed at the end.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis connection string of this server.</summary>
    public string Connection => $"127.0.0.1:{Port}";

    /// <summary>Starts a Redis, on <paramref name="port"/> if given (one that comes back where it was), else on a free port.</summary>
    public static async Task<RedisServer> StartAsync(int? port = null)
    {
        port ??= CharWebServer.FreePort();
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server)");
        try
        {
            var timeout = CharWebServer.Timeout(30);
            while (await process.StandardOutput.ReadLineAsync(timeout) is { } line)
            {
                if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
                {
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
                    return new RedisServer(process, port.Value);
                }
            }

            throw new InvalidOperationException("redis-server exited before it was ready: " + await process.StandardError.ReadToEndAsync(timeout));
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CharWebServer.Timeout());
        }

        _process.Dispose();
    }
}
