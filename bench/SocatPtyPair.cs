using System.ComponentModel;
using System.Diagnostics;

namespace CharWeb.Bench;

/// <summary>
/// <c>socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B</c>: two raw ptys joined back to back,
/// so what a program writes into A comes out of B as it would out of a serial port.
/// </summary>
public sealed class SocatPtyPair : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;

    private SocatPtyPair(Process process, string a, string b)
    {
        _process = process;
        A = a;
        B = b;
    }

    /// <summary>The link to the pty the source writes into.</summary>
    public string A { get; }

    /// <summary>The link to the pty the server under test reads, as it would a serial port.</summary>
    public string B { get; }

    /// <summary>Starts socat with its links in <paramref name="folder"/>; returns once both ptys are open and relaying.</summary>
    public static async Task<SocatPtyPair> StartAsync(string folder, CancellationToken cancellationToken)
    {
        var a = Path.Combine(folder, "A");
        var b = Path.Combine(folder, "B");
        var start = new ProcessStartInfo("socat") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-d", "-d", $"pty,raw,echo=0,link={a}", $"pty,raw,echo=0,link={b}" })
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
            throw new InvalidOperationException($"cannot run socat: {ex.Message}; apt-get install socat", ex);
        }

        try
        {
            await RelayingAsync(process, cancellationToken);
            if (!File.Exists(a) || !File.Exists(b))
            {
                throw new InvalidOperationException($"socat relays but its links {a} and {b} are not both there");
            }

            return new SocatPtyPair(process, a, b);
        }
        catch
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
            process.Dispose();
            throw;
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

    /// <summary>Reads socat's log until it says it relays (both ptys open, links made).</summary>
    private static async Task RelayingAsync(Process socat, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var log = new List<string>();
        try
        {
            while (await socat.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                log.Add(line);
                if (line.Contains("starting data transfer loop", StringComparison.Ordinal))
                {
                    // Keep draining its log so socat never blocks on a full pipe.
                    _ = socat.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                    _ = socat.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"socat did not start relaying within {StartTimeout.TotalSeconds:0} s: {string.Join(" / ", log)}");
        }

        throw new InvalidOperationException("socat exited before relaying: " + string.Join(" / ", log));
    }
}
