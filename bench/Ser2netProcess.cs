using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench;

/// <summary>
/// ser2net 4.x (Debian's package) in the foreground, one connection from a raw TCP accepter on
/// loopback to a serial device, with its own YAML config and pid file in a temporary folder.
/// </summary>
public sealed class Ser2netProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly string _device;

    private Ser2netProcess(Process process, int port, string device, string config)
    {
        _process = process;
        _device = device;
        Port = port;
        Config = config;
    }

    public int Port { get; }

    /// <summary>The YAML it was started with.</summary>
    public string Config { get; }

    /// <summary>
    /// A raw TCP accepter (no telnet, no banner, no kicking of old users) in front of
    /// <paramref name="device"/>, taking up to <paramref name="maxConnections"/> clients at once;
    /// every other option is ser2net's default.
    /// </summary>
    public static string ConfigFor(int port, string device, int maxConnections) => string.Create(CultureInfo.InvariantCulture, $"""
        %YAML 1.1
        ---
        connection: &bench
          accepter: tcp,127.0.0.1,{port}
          enable: on
          options:
            kickolduser: false
            max-connections: {maxConnections}
          connector: serialdev,{device},115200n81,local

        """);

    /// <summary><c>ser2net -n -u -c config -P pidfile</c>; returns once it listens.</summary>
    public static async Task<Ser2netProcess> StartAsync(string folder, string device, int maxConnections, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var config = ConfigFor(port, device, maxConnections);
        var configPath = Path.Combine(folder, "ser2net.yaml");
        await File.WriteAllTextAsync(configPath, config, cancellationToken);

        // -n: foreground; -u: no UUCP lock files in /var/lock for the pty.
        // Debian puts it in /usr/sbin, which a non-root PATH may lack.
        var program = File.Exists("/usr/sbin/ser2net") ? "/usr/sbin/ser2net" : "ser2net";
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-n", "-u", "-c", configPath, "-P", Path.Combine(folder, "ser2net.pid") })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"cannot run ser2net: {ex.Message}; apt-get install ser2net", ex);
        }

        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        var server = new Ser2netProcess(process, port, device, config);
        try
        {
            // ser2net says nothing when it listens: poll the kernel's table of listening sockets, with a deadline.
            var deadline = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * StartTimeout.TotalSeconds);
            while (!Listening(port))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"ser2net exited with {process.ExitCode}: {await stderr}");
                }

                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"ser2net did not listen on 127.0.0.1:{port} within {StartTimeout.TotalSeconds:0} s");
                }

                await Task.Delay(20, cancellationToken);
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until ser2net has the device open (it opens it for its first client), polling its fds with a deadline.</summary>
    public async Task WaitDeviceOpenAsync(CancellationToken cancellationToken)
    {
        var target = File.ResolveLinkTarget(_device, returnFinalTarget: true)?.FullName ?? _device;
        var deadline = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * StartTimeout.TotalSeconds);
        while (!Directory.EnumerateFiles($"/proc/{_process.Id}/fd").Any(fd => LinkTarget(fd) == target))
        {
            if (_process.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"ser2net did not open {_device} ({target}) within {StartTimeout.TotalSeconds:0} s");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
    }

    /// <summary>A loopback TCP port free right now.</summary>
    internal static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>What an fd in <c>/proc/pid/fd</c> points at; null once it is closed.</summary>
    private static string? LinkTarget(string fd)
    {
        try
        {
            return new FileInfo(fd).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether <c>/proc/net/tcp</c> has a socket listening (state 0A) on 127.0.0.1:<paramref name="port"/>.</summary>
    private static bool Listening(int port)
    {
        var local = string.Create(CultureInfo.InvariantCulture, $"0100007F:{port:X4}");
        return File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(fields => fields[1] == local && fields[3] == "0A");
    }
}
