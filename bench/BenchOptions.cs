using System.Globalization;

namespace CharWeb.Bench;

/// <summary>
/// Command line: <c>[scenario ...] [--smoke] [--mb N] [--no-console-mb N] [--ringbufs N] [--cluster-chardevs N] [--keys N] [--paced-keys N]
/// [--consoles 1,10,100] [--fanout-mb N] [--stalled-consoles N] [--pty-mb N] [--ser2net-seconds N]
/// [--ser2net-clients N] [--flood-mb N] [--flood-rounds N] [--flood-consoles N] [--interrupts N] [--server DIR] [--out DIR]</c>.
/// Explicit sizes win over <c>--smoke</c>'s tiny ones.
/// </summary>
public sealed record BenchOptions
{
    public IReadOnlyList<string> Scenarios { get; init; } = [];

    public bool Smoke { get; init; }

    /// <summary>socket-throughput: megabytes pushed through CharWeb and through socat.</summary>
    public int Megabytes { get; init; } = 1000;

    /// <summary>no-console: megabytes pushed into a chardev nobody watches.</summary>
    public int NoConsoleMegabytes { get; init; } = 1024;

    /// <summary>idle-ringbufs: how many ringbufs (4096 bytes each); the first and the last N/10 (at most 1,000) are timed.</summary>
    public int Ringbufs { get; init; } = 10_000;

    /// <summary>cluster-list: ringbufs spread over three nodes (and held by one node alone for the baseline).</summary>
    public int ClusterChardevs { get; init; } = 10_000;

    /// <summary>keystroke-latency: keys echoed.</summary>
    public int Keys { get; init; } = 10_000;

    /// <summary>keystroke-latency: keys echoed on the flooded, paced socket chardev (and before its flood).</summary>
    public int PacedKeys { get; init; } = 1000;

    /// <summary>fanout: the console counts to try.</summary>
    public IReadOnlyList<int> Consoles { get; init; } = [1, 10, 100];

    /// <summary>
    /// fanout: megabytes each console gets at the largest count; fewer consoles get proportionally more, so every
    /// count delivers the same total and the CPU per GB of each is timed over the same work.
    /// </summary>
    public int FanoutMegabytes { get; init; } = 32;

    /// <summary>
    /// stalled: megabytes pushed per run, long enough that the stalled console's one-off hold of the device (its lag
    /// budget, up to 500 ms) is a small share of the run, as it is for a console server that runs for days.
    /// </summary>
    public int StalledMegabytes { get; init; } = 320;

    /// <summary>stalled: consoles per run (one of them never acknowledges in the second run).</summary>
    public int StalledConsoles { get; init; } = 10;

    /// <summary>pty-throughput: megabytes written into the pty per run (direct read and each console count).</summary>
    public int PtyMegabytes { get; init; } = 64;

    /// <summary>ser2net: seconds each run measures for (the source writes flat out throughout).</summary>
    public int Ser2netSeconds { get; init; } = 5;

    /// <summary>ser2net: TCP clients (and CharWeb consoles) in the many-client runs, one of them stalled in the last.</summary>
    public int Ser2netClients { get; init; } = 4;

    /// <summary>flood-rest: megabytes pushed while REST is timed.</summary>
    public int FloodMegabytes { get; init; } = 200;

    /// <summary>flood-rest: floods in a row, REST timed throughout.</summary>
    public int FloodRounds { get; init; } = 10;

    /// <summary>flood-rest: consoles attached during the flood.</summary>
    public int FloodConsoles { get; init; } = 10;

    /// <summary>ctrl-c: 0x03 keys timed on the idle pty, then as many under the flood.</summary>
    public int Interrupts { get; init; } = 200;

    /// <summary>A published server folder to use instead of publishing.</summary>
    public string? ServerDir { get; init; }

    /// <summary>Where the JSON and SVG go; default bench/results (a temporary folder for --smoke).</summary>
    public string? OutDir { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var smoke = args.Contains("--smoke");
        var options = smoke
            ? new BenchOptions { Smoke = true, Megabytes = 4, NoConsoleMegabytes = 16, Ringbufs = 200, ClusterChardevs = 150, Keys = 200, PacedKeys = 20, Consoles = [1, 3], FanoutMegabytes = 2, StalledMegabytes = 2, StalledConsoles = 3, PtyMegabytes = 2, Ser2netSeconds = 1, Ser2netClients = 2, FloodMegabytes = 4, FloodRounds = 1, FloodConsoles = 3, Interrupts = 5 }
            : new BenchOptions();
        var scenarios = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--smoke" => options,
                "--mb" => options with { Megabytes = Int() },
                "--no-console-mb" => options with { NoConsoleMegabytes = Int() },
                "--ringbufs" => options with { Ringbufs = Int() },
                "--cluster-chardevs" => options with { ClusterChardevs = Int() },
                "--keys" => options with { Keys = Int() },
                "--paced-keys" => options with { PacedKeys = Int() },
                "--consoles" => options with { Consoles = [.. Next().Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))] },
                "--fanout-mb" => options with { FanoutMegabytes = Int() },
                "--stalled-mb" => options with { StalledMegabytes = Int() },
                "--stalled-consoles" => options with { StalledConsoles = Int() },
                "--pty-mb" => options with { PtyMegabytes = Int() },
                "--ser2net-seconds" => options with { Ser2netSeconds = Int() },
                "--ser2net-clients" => options with { Ser2netClients = Int() },
                "--flood-mb" => options with { FloodMegabytes = Int() },
                "--flood-consoles" => options with { FloodConsoles = Int() },
                "--flood-rounds" => options with { FloodRounds = Int() },
                "--interrupts" => options with { Interrupts = Int() },
                "--server" => options with { ServerDir = Path.GetFullPath(Next()) },
                "--out" => options with { OutDir = Path.GetFullPath(Next()) },
                var flag when flag.StartsWith("--", StringComparison.Ordinal) => throw new ArgumentException($"unknown option {flag}"),
                var name => AddScenario(options, scenarios, name),
            };
        }

        return options with { Scenarios = scenarios };
    }

    public IReadOnlyDictionary<string, string> Sizes() => new Dictionary<string, string>
    {
        ["mb"] = Megabytes.ToString(CultureInfo.InvariantCulture),
        ["noConsoleMb"] = NoConsoleMegabytes.ToString(CultureInfo.InvariantCulture),
        ["ringbufs"] = Ringbufs.ToString(CultureInfo.InvariantCulture),
        ["clusterChardevs"] = ClusterChardevs.ToString(CultureInfo.InvariantCulture),
        ["keys"] = Keys.ToString(CultureInfo.InvariantCulture),
        ["pacedKeys"] = PacedKeys.ToString(CultureInfo.InvariantCulture),
        ["consoles"] = string.Join(',', Consoles),
        ["fanoutMb"] = FanoutMegabytes.ToString(CultureInfo.InvariantCulture),
        ["stalledMb"] = StalledMegabytes.ToString(CultureInfo.InvariantCulture),
        ["stalledConsoles"] = StalledConsoles.ToString(CultureInfo.InvariantCulture),
        ["ptyMb"] = PtyMegabytes.ToString(CultureInfo.InvariantCulture),
        ["ser2netSeconds"] = Ser2netSeconds.ToString(CultureInfo.InvariantCulture),
        ["ser2netClients"] = Ser2netClients.ToString(CultureInfo.InvariantCulture),
        ["floodMb"] = FloodMegabytes.ToString(CultureInfo.InvariantCulture),
        ["floodConsoles"] = FloodConsoles.ToString(CultureInfo.InvariantCulture),
        ["floodRounds"] = FloodRounds.ToString(CultureInfo.InvariantCulture),
        ["interrupts"] = Interrupts.ToString(CultureInfo.InvariantCulture),
    };

    private static BenchOptions AddScenario(BenchOptions options, List<string> scenarios, string name)
    {
        scenarios.Add(name);
        return options;
    }
}
