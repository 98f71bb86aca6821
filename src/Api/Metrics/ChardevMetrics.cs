using System.Diagnostics.Metrics;
using CharWeb.Engine;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Metrics;

/// <summary>
/// The <c>charweb_</c> series, read from the engine's own counters when Prometheus scrapes (observable
/// instruments): the output path counts as it always did and records nothing per byte for metrics.
/// Per chardev (label <c>chardev</c>, nothing finer) while there are at most
/// <see cref="MetricsSettings.MaxChardevSeries"/> chardevs; server totals always. The host makes it
/// when it starts, so that a bad setting fails the start as every other does, not the build of the app.
/// </summary>
internal sealed class ChardevMetrics : IHostedService, IDisposable
{
    /// <summary>Server totals and the keystroke histogram; made by the app's meter factory.</summary>
    public const string TotalsMeter = "CharWeb";

    /// <summary>The per-chardev instruments, on a meter of their own that is renewed (see <see cref="Renew"/>).</summary>
    public const string ChardevMeter = "CharWeb.Chardevs";

    // Unreachable is a state only other nodes' chardevs have, in a cluster's listing.
    private static readonly ChardevState[] States = Enum.GetValues<ChardevState>().Where(s => s != ChardevState.Unreachable).ToArray();

    private readonly ChardevRegistry _registry;
    private readonly MetricsSettings _settings;
    private readonly IMeterFactory _factory;
    private readonly int _seriesBound;
    private readonly Lock _renewing = new();
    private readonly long[] _reported = new long[5];
    private Meter? _perChardev;
    private int _removedSinceRenew;

    public ChardevMetrics(ChardevRegistry registry, IOptions<MetricsSettings> settings, IOptions<CharWebOptions> options, IMeterFactory factory)
    {
        _registry = registry;
        _settings = settings.Value;
        _factory = factory;
        _seriesBound = SeriesBound(_settings, options.Value.Limits.MaxChardevs);
        var totals = factory.Create(TotalsMeter);
        Total(totals, 0, "charweb.output", "Bytes the devices produced, removed chardevs included.", s => s.OutputBytes);
        Total(totals, 1, "charweb.output.dropped", "Output bytes discarded because no console was attached.", s => s.OutputDropped);
        Total(totals, 2, "charweb.input", "Bytes accepted into the devices.", s => s.InputBytes);
        Total(totals, 3, "charweb.input.dropped", "Input bytes discarded because the device side was not connected.", s => s.InputDropped);
        totals.CreateObservableCounter("charweb.console.lost", () => Monotonic(4, Sum(c => c.ConsoleBytesLost) + _registry.Removed.ConsoleBytesLost), "By", "Output bytes consoles lost by falling behind.");
        totals.CreateObservableGauge("charweb.consoles", () => Sum(c => c.Consoles.Length), "{console}", "Consoles attached, every chardev together.");
        totals.CreateObservableGauge("charweb.chardevs", ByState, "{chardev}", "Chardevs of this server, by state.");
        totals.CreateObservableGauge("charweb.metrics.chardevs_exported", () => Exported ? _registry.Count : 0, "{chardev}", "Chardevs that have per-chardev series in this scrape (0: off, or over CharWeb:Metrics:MaxChardevSeries).");

        if (_settings.PerChardev)
        {
            registry.EventRaised += OnEvent;
            _perChardev = CreatePerChardev();
        }
    }

    /// <summary>Slots one per-chardev instrument needs in the exporter: the chardevs exported, and fewer removed ones than that until the next renewal.</summary>
    public static int CardinalityLimit(MetricsSettings settings, int maxChardevs) => (2 * SeriesBound(settings, maxChardevs)) + 1;

    /// <summary>The most chardevs that ever have series: the maximum, or the server's own limit of chardevs if lower.</summary>
    private static int SeriesBound(MetricsSettings settings, int maxChardevs) => Math.Min(settings.MaxChardevSeries, maxChardevs);

    private bool Exported => _settings.PerChardev && _registry.Count <= _settings.MaxChardevSeries;

    /// <summary>The instruments exist from construction on; starting has nothing more to do.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _registry.EventRaised -= OnEvent;
        lock (_renewing)
        {
            _perChardev?.Dispose();
            _perChardev = null;
        }
    }

    private Meter CreatePerChardev()
    {
        // Scoped to this app's factory like the framework's meters, so that only this app's provider exports it.
        var meter = new Meter(new MeterOptions(ChardevMeter) { Scope = _factory });
        meter.CreateObservableCounter("charweb.chardev.output", () => PerChardev(c => c.Stats.OutputBytes), "By", "Bytes the device produced.");
        meter.CreateObservableCounter("charweb.chardev.output.dropped", () => PerChardev(c => c.Stats.OutputDropped), "By", "Output bytes discarded because no console was attached.");
        meter.CreateObservableCounter("charweb.chardev.input", () => PerChardev(c => c.Stats.InputBytes), "By", "Bytes accepted into the device.");
        meter.CreateObservableCounter("charweb.chardev.input.dropped", () => PerChardev(c => c.Stats.InputDropped), "By", "Input bytes discarded because the device side was not connected.");
        meter.CreateObservableCounter("charweb.chardev.console.lost", () => PerChardev(c => c.ConsoleBytesLost), "By", "Output bytes this chardev's consoles lost by falling behind, consoles gone included.");
        meter.CreateObservableGauge("charweb.chardev.consoles", () => PerChardev(c => c.Consoles.Length), "{console}", "Consoles attached to the chardev.");
        meter.CreateObservableGauge("charweb.chardev.up", () => PerChardev(c => c.Connected ? 1 : 0), null, "1 while the device side is connected (state open), else 0.");
        return meter;
    }

    private IEnumerable<Measurement<long>> PerChardev(Func<Chardev, long> read)
    {
        if (!Exported)
        {
            yield break;
        }

        foreach (var chardev in _registry.Unordered)
        {
            yield return new Measurement<long>(read(chardev), new KeyValuePair<string, object?>("chardev", chardev.Id));
        }
    }

    private void Total(Meter meter, int slot, string name, string description, Func<ChardevStats, long> read) =>
        meter.CreateObservableCounter(name, () => Monotonic(slot, Sum(c => read(c.Stats)) + read(_registry.Removed.Stats)), "By", description);

    private long Sum(Func<Chardev, long> read)
    {
        var sum = 0L;
        foreach (var chardev in _registry.Unordered)
        {
            sum += read(chardev);
        }

        return sum;
    }

    /// <summary>
    /// A chardev being removed is out of the registry a moment before it is in <see cref="ChardevRegistry.Removed"/>:
    /// a scrape then must not see the total go down (Prometheus would read it as a restart).
    /// </summary>
    private long Monotonic(int slot, long value)
    {
        long seen;
        do
        {
            seen = Volatile.Read(ref _reported[slot]);
            if (value <= seen)
            {
                return seen;
            }
        }
        while (Interlocked.CompareExchange(ref _reported[slot], value, seen) != seen);

        return value;
    }

    private IEnumerable<Measurement<long>> ByState()
    {
        var counts = new long[States.Length];
        foreach (var chardev in _registry.Unordered)
        {
            counts[(int)chardev.State]++;
        }

        for (var i = 0; i < States.Length; i++)
        {
            yield return new Measurement<long>(counts[i], new KeyValuePair<string, object?>("state", System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(States[i].ToString())));
        }
    }

    private void OnEvent(ChardevEvent e)
    {
        if (e.Kind == ChardevEventKind.Removed && Interlocked.Increment(ref _removedSinceRenew) >= _seriesBound)
        {
            Renew();
        }
    }

    /// <summary>
    /// The exporter keeps a slot for every chardev id it has seen, removed ones too, and has
    /// <see cref="CardinalityLimit"/> of them. Once as many chardevs were removed as may have series,
    /// a fresh meter starts with no slots; the values are the engine's totals, so no series resets.
    /// </summary>
    private void Renew()
    {
        lock (_renewing)
        {
            if (_perChardev is null || Volatile.Read(ref _removedSinceRenew) < _seriesBound)
            {
                return;
            }

            _perChardev.Dispose();
            _perChardev = CreatePerChardev();
            Volatile.Write(ref _removedSinceRenew, 0);
        }
    }
}
