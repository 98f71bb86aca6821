using CharWeb.Engine.Backends;
using CharWeb.Engine.Json;
using CharWeb.Engine.Persistence;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CharWeb.Engine.Tests;

/// <summary>A real engine on a real SQLite file in a fresh temporary data folder.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private EngineHarness(string dataDir, ChardevRegistry registry, FakeTimeProvider time)
    {
        DataDir = dataDir;
        Registry = registry;
        Time = time;
    }

    public string DataDir { get; }

    public ChardevRegistry Registry { get; }

    public FakeTimeProvider Time { get; }

    public static CancellationToken Timeout(int seconds = 20) =>
        CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token).Token;

    public static async Task<EngineHarness> StartAsync(
        string? dataDir = null, IEnumerable<ChardevDefinition>? declared = null, IEnumerable<string>? allowedPaths = null, IReadOnlyList<string>? allowedPrograms = null,
        ExecPolicy? exec = null, DevicePolicy? devices = null, DestinationPolicy? destinations = null, ChardevLimits? limits = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        var backends = BackendRegistry.CreateDefault();
        var context = new BackendContext(new PathPolicy(dataDir, allowedPaths), time, NullLoggerFactory.Instance)
        {
            // Bare paths, as a configuration that lists strings only: any arguments.
            Exec = exec ?? (allowedPrograms is null ? ExecPolicy.None : new ExecPolicy(allowedPrograms.Select(p => new ExecProgram(p)))),
            Devices = devices ?? DevicePolicy.Default,
            Destinations = destinations ?? DestinationPolicy.Loopback,
            Limits = limits ?? new ChardevLimits(),
        };
        var database = new ChardevDatabase(Path.Combine(dataDir, "charweb.db"), EngineJson.Create(backends));
        var registry = new ChardevRegistry(backends, context, database, NullLogger<ChardevRegistry>.Instance);
        await registry.StartAsync(declared ?? [], Timeout());
        return new EngineHarness(dataDir, registry, time);
    }

    /// <summary>
    /// A server restarted after the folder of a stored file chardev vanished: chardev
    /// <paramref name="id"/> is back in state failed, its device side not connected.
    /// </summary>
    public static async Task<EngineHarness> StartWithDisconnectedFileAsync(string id)
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        Directory.CreateDirectory(Path.Combine(dataDir, "sub"));
        await using (var engine = await StartAsync(dataDir))
        {
            await engine.CreateAsync(id, new FileBackendOptions { Path = "sub/out.txt" });
        }

        Directory.Delete(Path.Combine(dataDir, "sub"), recursive: true);
        return await StartAsync(dataDir);
    }

    /// <summary>Waits for a condition that something else makes true (output arriving), looking again every few milliseconds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var timeout = Timeout();
        while (!condition())
        {
            await Task.Delay(5, timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Assert.False(timeout.IsCancellationRequested, "timed out waiting for " + what);
        }
    }

    /// <summary>The port a TCP socket chardev listens on or is connected from, read from its QEMU filename.</summary>
    public static int PortOf(Chardev chardev) =>
        int.Parse(chardev.Filename.Split(':')[3].Split(',')[0].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    public Task<Chardev> CreateAsync(string id, BackendOptions backend, int history = 0, string? logfile = null, bool logappend = false) =>
        Registry.CreateAsync(new ChardevDefinition { Id = id, Backend = backend, History = history, Logfile = logfile, Logappend = logappend }, Timeout());

    public async ValueTask DisposeAsync() => await Registry.DisposeAsync();
}
