using System.Globalization;

namespace CharWeb.Bench;

/// <summary>
/// Where the bytes between a TCP peer and the server sit, read from <c>/proc/net/tcp</c> (the
/// queues <c>ss</c> shows): the peer's send queue (written, not yet acknowledged by the server's
/// kernel) and the server's receive queue (acknowledged, not yet read by the server). Sampled in
/// the background while keys are timed, so the reading never delays a key.
/// </summary>
public sealed class TcpQueues : IAsyncDisposable
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(5);

    private readonly string _peer;
    private readonly string _server;
    private readonly List<(long PeerSend, long ServerReceive)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    /// <summary>Samples the loopback connection from <paramref name="peerPort"/> to <paramref name="serverPort"/>.</summary>
    public TcpQueues(int peerPort, int serverPort)
    {
        (_peer, _server) = (Address(peerPort), Address(serverPort));
        _sampling = SampleAsync(_stop.Token);
    }

    /// <summary>Medians of the samples so far, in bytes; NaN when the connection was never seen.</summary>
    public (double PeerSend, double ServerReceive) Medians()
    {
        lock (_samples)
        {
            return _samples.Count == 0
                ? (double.NaN, double.NaN)
                : (LatencyRows.Percentile([.. _samples.Select(s => (double)s.PeerSend)], 0.5),
                    LatencyRows.Percentile([.. _samples.Select(s => (double)s.ServerReceive)], 0.5));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Every);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            long? peerSend = null, serverReceive = null;
            foreach (var line in await File.ReadAllLinesAsync("/proc/net/tcp", cancellationToken))
            {
                // sl local_address rem_address st tx_queue:rx_queue ...
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5 || fields[4].Split(':') is not [var tx, var rx])
                {
                    continue;
                }

                if (fields[1] == _peer && fields[2] == _server)
                {
                    peerSend = long.Parse(tx, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }
                else if (fields[1] == _server && fields[2] == _peer)
                {
                    serverReceive = long.Parse(rx, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }
            }

            if (peerSend is { } send && serverReceive is { } receive)
            {
                lock (_samples)
                {
                    _samples.Add((send, receive));
                }
            }
        }
    }

    /// <summary>127.0.0.1:port as /proc/net/tcp writes it (the address in host byte order on x86).</summary>
    private static string Address(int port) => $"0100007F:{port:X4}";
}
