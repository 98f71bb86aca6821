using System.Globalization;
using CharWeb.Bench;
using CharWeb.Bench.Scenarios;

// dotnet run -c Release --project bench -- [scenario ...] [--smoke] [sizes]: see BenchOptions.
IScenario[] all = [new SocketThroughput(), new WebSocketThroughput(), new NoConsole(), new IdleRingbufs(), new ClusterList(), new ClusterConsole(), new KeystrokeLatency(), new Fanout(), new Stalled(), new PtyThroughput(), new Ser2net(), new FloodRest(), new CtrlC()];

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
    var unknown = options.Scenarios.Except(all.Select(s => s.Name)).ToList();
    if (unknown.Count > 0)
    {
        throw new ArgumentException($"unknown scenario {string.Join(", ", unknown)}; known: {string.Join(", ", all.Select(s => s.Name))}");
    }
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var machine = Machine.Read();
Console.WriteLine(machine);
Console.WriteLine($"sizes: {string.Join(", ", options.Sizes().Select(p => $"{p.Key}={p.Value}"))}{(options.Smoke ? " (smoke)" : "")}");

var repoRoot = RepoRoot();
var appDir = options.ServerDir;
if (appDir is null)
{
    Console.WriteLine("publishing src/Api (Release) ...");
    appDir = await CharWebProcess.PublishAsync(repoRoot, cancel.Token);
}

var context = new BenchContext(appDir, options, new PlotSeries());
var rows = new List<ResultRow>();
var failed = 0;
foreach (var scenario in all.Where(s => options.Scenarios.Count == 0 || options.Scenarios.Contains(s.Name)))
{
    Console.WriteLine($"running {scenario.Name} ...");
    try
    {
        rows.AddRange(await scenario.RunAsync(context, cancel.Token));
    }
    catch (Exception ex) when (ex is not OperationCanceledException || !cancel.IsCancellationRequested)
    {
        failed++;
        Console.Error.WriteLine($"{scenario.Name} failed: {ex}");
        rows.Add(new(scenario.Name, "failed: " + ex.Message.ReplaceLineEndings(" "), double.NaN, "", null, "", "", false));
    }
}

Console.WriteLine();
Console.Write(ResultTable.Format(rows));

var outDir = options.OutDir ?? (options.Smoke ? Path.Combine(Path.GetTempPath(), "charweb-bench-smoke") : Path.Combine(repoRoot, "bench", "results"));
Directory.CreateDirectory(outDir);
var stamp = DateTime.Now.ToString("yyyy-MM-dd-HHmm", CultureInfo.InvariantCulture);
var json = Path.Combine(outDir, stamp + ".json");
var svg = Path.Combine(outDir, stamp + ".svg");
await ResultTable.WriteJsonAsync(json, machine, options.Smoke, options.Sizes(), rows, context.Plot, cancel.Token);
await File.WriteAllTextAsync(svg, ResultPlot.Render(context.Plot, $"CharWeb bench {stamp}{(options.Smoke ? " (smoke sizes)" : "")} — {machine.Cores} cores, {machine.Cpu}"), cancel.Token);
Console.WriteLine();
Console.WriteLine($"wrote {json}");
Console.WriteLine($"wrote {svg}");

if (options.ServerDir is null)
{
    // The publish folder was ours (a temporary one); leave nothing behind.
    Directory.Delete(Path.GetDirectoryName(appDir)!, recursive: true);
}

// Goals not met are findings, not harness failures; a scenario that could not run is one.
return failed == 0 ? 0 : 1;

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "CharWeb.sln")))
        {
            return dir.FullName;
        }
    }

    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "CharWeb.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("run from inside the CharWeb checkout (no CharWeb.sln found above here)");
}
