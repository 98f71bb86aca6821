using System.Diagnostics;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// Ctrl-C while <c>yes</c> floods a pty console: a pty chardev whose slave the harness opens itself in
/// raw mode, a thread writing "y\n" into it as fast as it takes it, one console attached (acking), and
/// 0x03 sent through the hub's <c>Write</c>, timed until a thread reading the slave sees it.
/// Baseline: the same rounds on the same pty before the flood starts.
/// </summary>
public sealed class CtrlC : IScenario
{
    private const string Id = "tty";
    private const int WarmupRounds = 5;
    private const long FloodUnderWay = 1_000_000;
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(10);

    public string Name => "ctrl-c";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var rounds = context.Options.Interrupts;
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken);
        var created = await server.CreateAsync(new { id = Id, backend = new { type = "pty" } }, cancellationToken);
        using var slave = PtySlave.Open(created["ptyPath"]!.GetValue<string>());
        await using var console = await BenchConsole.ConnectAsync(server, acknowledges: true, cancellationToken);
        await console.AttachAsync(Id, keepArrivals: false, cancellationToken);
        await server.WaitConnectedAsync(Id, RoundTimeout, cancellationToken);

        await InterruptAsync(console, slave, WarmupRounds, cancellationToken);
        var idle = await InterruptAsync(console, slave, rounds, cancellationToken);

        slave.StartFlood();
        if (!await console.WaitForAsync(FloodUnderWay, SocketPush.Idle, cancellationToken))
        {
            throw new InvalidOperationException($"the flood did not reach the console: {console.Received} bytes received, {slave.Flooded} written");
        }

        var (received, lost, flooded) = (console.Received, console.Lost, slave.Flooded);
        var started = Stopwatch.GetTimestamp();
        var flooding = await InterruptAsync(console, slave, rounds, cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var rate = (slave.Flooded - flooded) / 1e6 / seconds;
        var lostShare = (console.Lost - lost) / (double)Math.Max(1, console.Received - received + console.Lost - lost);
        return
        [
            .. LatencyRows.Rows(Name, $"0x03 to the slave over {rounds} keys, yes flooding", flooding, idle, "idle pty", 50),
            new(Name, $"yes output during the rounds (console lost {lostShare:P0} of it)", rate, "MB/s", null, "", "informational", null),
        ];
    }

    private static async Task<double[]> InterruptAsync(BenchConsole console, PtySlave slave, int rounds, CancellationToken cancellationToken)
    {
        var latencies = new double[rounds];
        for (var i = 0; i < rounds; i++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RoundTimeout);
            var sent = Stopwatch.GetTimestamp();
            await console.WriteAsync(Id, [0x03], timeout.Token);
            var seen = await slave.Interrupts.ReadAsync(timeout.Token);
            latencies[i] = Stopwatch.GetElapsedTime(sent, seen).TotalMilliseconds;
        }

        return latencies;
    }
}
