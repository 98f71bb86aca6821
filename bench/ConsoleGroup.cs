using System.Diagnostics;

namespace CharWeb.Bench;

/// <summary>What each console of one push saw.</summary>
public sealed record ConsoleFigures(bool Acknowledges, long Received, long Lost, double Seconds)
{
    public double MegabytesPerSecond => Seconds > 0 ? Received / 1e6 / Seconds : 0;
}

/// <summary>The consoles of one push: attached to one chardev, waited for, and figured from the push's start.</summary>
public sealed class ConsoleGroup : IAsyncDisposable
{
    private readonly List<IBenchConsole> _consoles = [];

    private ConsoleGroup()
    {
    }

    /// <summary>One hub console per entry, acknowledging or not as the entry says, all attached to <paramref name="id"/>.</summary>
    public static Task<ConsoleGroup> AttachAsync(CharWebProcess server, string id, IReadOnlyList<bool> acknowledges, CancellationToken cancellationToken) =>
        AttachAsync(server, id, acknowledges, ConsoleWire.Hub, cancellationToken);

    /// <summary>One console per entry on <paramref name="wire"/>, healthy or stalled as the entry says, all attached to <paramref name="id"/>.</summary>
    public static async Task<ConsoleGroup> AttachAsync(CharWebProcess server, string id, IReadOnlyList<bool> acknowledges, ConsoleWire wire, CancellationToken cancellationToken)
    {
        var group = new ConsoleGroup();
        try
        {
            foreach (var acks in acknowledges)
            {
                if (wire == ConsoleWire.RawWebSocket)
                {
                    group._consoles.Add(await WebSocketConsole.ConnectAsync(server, id, acks, cancellationToken));
                    continue;
                }

                var console = await BenchConsole.ConnectAsync(server, acks, cancellationToken);
                group._consoles.Add(console);
                await console.AttachAsync(id, keepArrivals: false, cancellationToken);
            }

            return group;
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until each acknowledging console has <paramref name="bytes"/> received or lost; each timed from <paramref name="started"/>.</summary>
    public async Task<IReadOnlyList<ConsoleFigures>> FiguresAsync(long bytes, long started, CancellationToken cancellationToken)
    {
        // A console that never acknowledges never finishes; only the healthy ones are waited for.
        var healthy = _consoles.Where(c => c.Acknowledges).ToList();
        if ((await Task.WhenAll(healthy.Select(c => c.WaitForAsync(bytes, SocketPush.Idle, cancellationToken)))).Contains(false))
        {
            // Every byte reaches a console or is reported lost to it; one that stops short means something broke.
            throw new InvalidOperationException($"a console stopped short of {bytes} bytes: " + string.Join(", ", healthy.Select(c => $"{c.Received} received + {c.Lost} lost")));
        }

        return [.. _consoles.Select(c => new ConsoleFigures(
            c.Acknowledges,
            c.Received,
            c.Lost,
            c.LastAt == 0 ? 0 : Stopwatch.GetElapsedTime(started, c.LastAt).TotalSeconds))];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var console in _consoles)
        {
            await console.DisposeAsync();
        }
    }
}
