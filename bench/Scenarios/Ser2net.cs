using System.Diagnostics;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// ser2net (Debian's package) and CharWeb on the same kind of source: a program writing flat out into
/// one end of a socat pty pair, the server reading the other end as a serial port. ser2net serves 1
/// and N raw TCP clients, then N of which one never reads; CharWeb a serial chardev with 1, N, and N
/// consoles of which one never acknowledges. Each run counts the bytes received in a fixed window; the
/// figure is CharWeb's per-console MB/s ÷ ser2net's per-client MB/s (the healthy ones beside a stalled
/// one), in the same run. A last row reads the same kind of source directly (the harness on the pair's
/// other end, no server): the most either server could deliver to one client.
/// </summary>
public sealed class Ser2net : IScenario
{
    /// <summary>The file the writer loops over; small, since only its rate matters.</summary>
    private const long SourceBytes = 8_000_000;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public string Name => "ser2net";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var clients = context.Options.Ser2netClients;
        if (clients < 2)
        {
            throw new ArgumentException($"--ser2net-clients must be at least 2 (one stalled beside healthy ones), got {clients}");
        }

        var window = TimeSpan.FromSeconds(context.Options.Ser2netSeconds);
        var folder = Directory.CreateTempSubdirectory("charweb-bench-ser2net-").FullName;
        try
        {
            var source = await FlatOutWriter.CreateSourceAsync(Path.Combine(folder, "source.bin"), SourceBytes, cancellationToken);
            (int Count, bool OneStalled)[] runs = [(1, false), (clients, false), (clients, true)];
            var run = 0;
            var ser2net = new List<IReadOnlyList<WindowFigures>>();
            foreach (var (count, stalled) in runs)
            {
                ser2net.Add(await Ser2netRunAsync(RunFolder(folder, run++), source, count, stalled, window, cancellationToken));
            }

            var settings = new Dictionary<string, string>
            {
                // Each pair's B is socat's link to a /dev/pts/N, outside the default device globs; the link and its target must both match.
                ["CharWeb__Devices__Allowed__0"] = Path.Combine(folder, "*", "B"),
                ["CharWeb__Devices__Allowed__1"] = "/dev/pts/*",
            };
            await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, settings);
            await CharWebRunAsync(server, RunFolder(folder, run++), "warmup", source, 1, false, context.Options.Smoke ? window : Warmup.Duration, cancellationToken);
            var charweb = new List<IReadOnlyList<WindowFigures>>();
            foreach (var (count, stalled) in runs)
            {
                charweb.Add(await CharWebRunAsync(server, RunFolder(folder, run++), $"serial{charweb.Count}", source, count, stalled, window, cancellationToken));
            }

            var direct = (await DirectRunAsync(RunFolder(folder, run++), source, window, cancellationToken)).Single();
            return
            [
                Compare($"1 console vs 1 client, {context.Options.Ser2netSeconds} s window", charweb[0], ser2net[0]),
                Compare($"{clients} consoles vs {clients} clients, per console", charweb[1], ser2net[1]),
                Compare($"{clients - 1} healthy beside 1 stalled, per console", charweb[2], ser2net[2]),
                new(Name, "the source read directly, no server (the ceiling for 1 client)", direct.MegabytesPerSecond, "MB/s", ser2net[0].Average(f => f.MegabytesPerSecond), "ser2net, 1 client", "informational", null),
            ];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// CharWeb's healthy consoles against ser2net's healthy clients. When ser2net delivered nothing
    /// there is no ratio: the goal is then met if CharWeb's consoles kept going to the window's end.
    /// </summary>
    private ResultRow Compare(string figure, IReadOnlyList<WindowFigures> charweb, IReadOnlyList<WindowFigures> ser2net)
    {
        var ours = charweb.Where(f => f.Reads).ToList();
        var theirs = ser2net.Where(f => f.Reads).ToList();
        var value = ours.Average(f => f.MegabytesPerSecond);
        var baseline = theirs.Average(f => f.MegabytesPerSecond);
        var notes = new List<string>();
        if (!theirs.All(f => f.KeptGoing))
        {
            notes.Add(theirs.Sum(f => f.Received) == 0
                ? "ser2net's clients got nothing"
                : $"ser2net's clients stopped after {theirs.Max(f => f.LastByteSeconds):0.0} s");
        }

        if (!ours.All(f => f.KeptGoing))
        {
            notes.Add($"CharWeb's consoles stopped after {ours.Max(f => f.LastByteSeconds):0.0} s");
        }

        bool met;
        if (baseline > 0)
        {
            met = value / baseline >= 10;
        }
        else
        {
            met = ours.All(f => f.KeptGoing);
            notes.Add("no ratio to 0: met if CharWeb's consoles kept going");
        }

        var text = notes.Count == 0 ? figure : $"{figure} ({string.Join("; ", notes)})";
        return new(Name, text, value, "MB/s", baseline, "ser2net per client", "≥ 10x ser2net", met);
    }

    private static async Task<IReadOnlyList<WindowFigures>> Ser2netRunAsync(string folder, string source, int clients, bool oneStalled, TimeSpan window, CancellationToken cancellationToken)
    {
        await using var pair = await SocatPtyPair.StartAsync(folder, cancellationToken);
        await using var ser2net = await Ser2netProcess.StartAsync(folder, pair.B, clients, cancellationToken);
        var readers = new List<RawTcpClient>();
        try
        {
            for (var i = 0; i < clients; i++)
            {
                readers.Add(await RawTcpClient.ConnectAsync(ser2net.Port, reads: !(oneStalled && i == 0), cancellationToken));
            }

            await ser2net.WaitDeviceOpenAsync(cancellationToken);
            return await MeasureAsync(source, pair.A, window, [.. readers.Select(r => (r.Reads, (Func<long>)(() => r.Received), (Func<long>)(() => r.LastAt)))], cancellationToken);
        }
        finally
        {
            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }
        }
    }

    private static async Task<IReadOnlyList<WindowFigures>> CharWebRunAsync(CharWebProcess server, string folder, string id, string source, int consoles, bool oneStalled, TimeSpan window, CancellationToken cancellationToken)
    {
        await using var pair = await SocatPtyPair.StartAsync(folder, cancellationToken);
        await server.CreateAsync(new { id, backend = new { type = "serial", path = pair.B } }, cancellationToken);
        var attached = new List<BenchConsole>();
        try
        {
            for (var i = 0; i < consoles; i++)
            {
                var console = await BenchConsole.ConnectAsync(server, acknowledges: !(oneStalled && i == 0), cancellationToken);
                attached.Add(console);
                await console.AttachAsync(id, keepArrivals: false, cancellationToken);
            }

            await server.WaitConnectedAsync(id, ConnectTimeout, cancellationToken);
            return await MeasureAsync(source, pair.A, window, [.. attached.Select(c => (c.Acknowledges, (Func<long>)(() => c.Received), (Func<long>)(() => c.LastAt)))], cancellationToken);
        }
        finally
        {
            foreach (var console in attached)
            {
                await console.DisposeAsync();
            }

            // Before socat goes, so the chardev is not left failed on a hung-up tty.
            await server.DeleteAsync(id, cancellationToken);
        }
    }

    private static async Task<IReadOnlyList<WindowFigures>> DirectRunAsync(string folder, string source, TimeSpan window, CancellationToken cancellationToken)
    {
        await using var pair = await SocatPtyPair.StartAsync(folder, cancellationToken);
        using var reader = new TerminalReader(pair.B);
        return await MeasureAsync(source, pair.A, window, [(true, () => reader.Received, () => reader.LastAt)], cancellationToken);
    }

    /// <summary>
    /// Starts the writer looping the source into <paramref name="target"/> and counts what each reader
    /// got in <paramref name="window"/>, with a look at the last fifth to tell who kept going.
    /// </summary>
    private static async Task<IReadOnlyList<WindowFigures>> MeasureAsync(string source, string target, TimeSpan window, IReadOnlyList<(bool Reads, Func<long> Received, Func<long> LastAt)> readers, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var writer = FlatOutWriter.Looping(source, target);

        // The window is the measurement itself, not a wait for something to happen.
        await Task.Delay(window * 0.8, cancellationToken);
        var beforeTail = readers.Select(r => r.Received()).ToArray();
        await Task.Delay(window * 0.2, cancellationToken);
        var received = readers.Select(r => r.Received()).ToArray();
        var lastAt = readers.Select(r => r.LastAt()).ToArray();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await writer.EnsureRunningAsync();
        return
        [
            .. readers.Select((r, i) => new WindowFigures(
                r.Reads,
                received[i],
                beforeTail[i],
                seconds,
                lastAt[i] == 0 ? 0 : Stopwatch.GetElapsedTime(started, lastAt[i]).TotalSeconds)),
        ];
    }

    private static string RunFolder(string folder, int run) => Directory.CreateDirectory(Path.Combine(folder, $"run{run}")).FullName;
}
