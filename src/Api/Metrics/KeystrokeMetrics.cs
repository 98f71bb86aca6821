using System.Diagnostics.Metrics;
using CharWeb.Engine;

namespace CharWeb.Api.Metrics;

/// <summary>
/// <c>charweb_keystroke_roundtrip_seconds</c>: from a console's write entering its chardev to the first
/// output the device says after it (the engine's <see cref="BackendContext.KeystrokeEchoed"/>), labelled by
/// backend kind only: its 17 series (15 buckets, sum, count) times 10,000 chardevs would be 170,000.
/// </summary>
internal sealed class KeystrokeMetrics(IMeterFactory factory)
{
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<double> _roundTrip = factory.Create(ChardevMetrics.TotalsMeter).CreateHistogram(
        "charweb.keystroke.roundtrip",
        "s",
        "From a console's write entering its chardev to the first output after it; one keystroke in flight per chardev is timed, output over 10 s later is not counted.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });

    public void Echoed(Chardev chardev, TimeSpan elapsed) =>
        _roundTrip.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("kind", chardev.Definition.Backend?.Type));
}
