using System.ComponentModel.DataAnnotations;
using CharWeb.Api.Access;

namespace CharWeb.Api.Metrics;

/// <summary>The <c>CharWeb:Metrics</c> section: what <c>/metrics</c> exports, and to whom.</summary>
public sealed class MetricsSettings : IValidatableObject
{
    public const string Section = "CharWeb:Metrics";

    /// <summary>Series with a <c>chardev</c> label, one set per chardev; off: server totals only.</summary>
    public bool PerChardev { get; set; } = true;

    /// <summary>
    /// With more chardevs than this, no per-chardev series are exported at all (not some of them), only
    /// the totals; <c>charweb_metrics_chardevs_exported</c> says 0 then. Bounds the scrape and the exporter's memory.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxChardevSeries { get; set; } = 10_000;

    /// <summary>
    /// The role a caller needs for <c>/metrics</c>: <c>admin</c> by default, since the series name every
    /// chardev, including ones whose <c>access</c> lists hide them from some viewers.
    /// </summary>
    public string Role { get; set; } = "admin";

    /// <summary>How long one collected answer serves other scrapes (the exporter's cache); 0: every scrape collects.</summary>
    [Range(0, 60_000)]
    public int ScrapeCacheMilliseconds { get; set; } = 300;

    public Role ScrapeRole => Identity.Parse(Role) ?? Access.Role.Admin;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Identity.Parse(Role) is null)
        {
            yield return new ValidationResult($"CharWeb:Metrics:Role must be viewer, operator or admin, got '{Role}'", [nameof(Role)]);
        }
    }
}
