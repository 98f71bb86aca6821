using System.Diagnostics.Metrics;
using CharWeb.Api.Access;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace CharWeb.Api.Metrics;

/// <summary>
/// OpenTelemetry metrics, exported for Prometheus at <c>/metrics</c>: CharWeb's own series
/// (<see cref="ChardevMetrics"/>, <see cref="KeystrokeMetrics"/>), ASP.NET Core's HTTP, Kestrel and
/// SignalR meters, and the runtime's. The route needs <see cref="MetricsSettings.Role"/> like any other.
/// </summary>
internal static class MetricsSetup
{
    public const string Path = "/metrics";

    public static void AddCharWebMetrics(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection(MetricsSettings.Section);
        services.AddOptions<MetricsSettings>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        var settings = section.Get<MetricsSettings>() ?? new MetricsSettings();
        var maxChardevs = builder.Configuration.GetValue<int?>("CharWeb:Limits:MaxChardevs") ?? new Engine.ChardevLimits().MaxChardevs;
        var limit = ChardevMetrics.CardinalityLimit(settings, maxChardevs);

        services.AddSingleton<KeystrokeMetrics>();
        services.AddSingleton<ChardevMetrics>();
        services.AddHostedService(provider => provider.GetRequiredService<ChardevMetrics>());
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("charweb"))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(ChardevMetrics.TotalsMeter, ChardevMetrics.ChardevMeter)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter(o =>
                    {
                        o.ScrapeEndpointPath = Path;
                        o.ScrapeResponseCacheDurationMilliseconds = settings.ScrapeCacheMilliseconds;
                        // One label less on each of up to 70,000 series; the names already say whose they are.
                        o.ScopeInfoEnabled = false;
                    });
                ((IDeferredMeterProviderBuilder)metrics).Configure((provider, b) =>
                {
                    var factory = provider.GetRequiredService<IMeterFactory>();
                    b.AddView(instrument => View(instrument, factory, limit));
                });
            });
    }

    public static void MapCharWebMetrics(this WebApplication app)
    {
        var settings = app.Configuration.GetSection(MetricsSettings.Section).Get<MetricsSettings>() ?? new MetricsSettings();
        app.MapPrometheusScrapingEndpoint(Path)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
            .RequireRole(settings.ScrapeRole)
            .ExcludeFromDescription();
    }

    /// <summary>Kestrel's memory pool meter (.NET 10): one measurement per block rented and returned.</summary>
    private const string MemoryPoolMeter = "Microsoft.AspNetCore.MemoryPool";

    /// <summary>
    /// OpenTelemetry listens to meters by name across the process: take only this app's meters (and the
    /// runtime's, which have no scope), so two CharWeb apps in one process (the tests) never mix series.
    /// </summary>
    private static MetricStreamConfiguration? View(Instrument instrument, IMeterFactory factory, int limit)
    {
        if (instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, factory))
        {
            return MetricStreamConfiguration.Drop;
        }

        // Kestrel's pool counts every 4 KiB block it rents and returns: a measurement per block of output (2 % of a flood's CPU in `perf`).
        if (instrument.Meter.Name == MemoryPoolMeter)
        {
            return MetricStreamConfiguration.Drop;
        }

        return instrument.Meter.Name == ChardevMetrics.ChardevMeter ? new MetricStreamConfiguration { CardinalityLimit = limit } : null;
    }
}
