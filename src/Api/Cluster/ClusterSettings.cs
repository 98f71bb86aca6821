using System.Text.RegularExpressions;
using CharWeb.Engine;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Cluster;

/// <summary>
/// <c>CharWeb:Cluster</c>: the nodes that share one Redis form one installation. Without <c>Redis</c> the
/// server is a single node and nothing of the cluster is loaded.
/// </summary>
public sealed class ClusterSettings
{
    public const string Section = "CharWeb:Cluster";

    /// <summary>StackExchange.Redis connection string (<c>redis.lab:6379,password=...</c>); unset: a single node.</summary>
    public string? Redis { get; set; }

    /// <summary>This node's name, unique in the cluster (a letter first, then letters, digits, <c>-</c>, <c>.</c>, <c>_</c>).</summary>
    public string? Node { get; set; }

    /// <summary>How the other nodes reach this one (<c>http://host-b:5080</c>).</summary>
    public string? Url { get; set; }

    /// <summary>Shared by every node: signs the caller's identity on a forwarded request. At least 32 characters.</summary>
    public string? Secret { get; set; }

    /// <summary>Seconds between heartbeats (and between refreshes of this node's stats in the directory).</summary>
    public double HeartbeatSeconds { get; set; } = 2;

    /// <summary>Seconds without a heartbeat after which a node's chardevs are shown <c>unreachable</c>; at most 10.</summary>
    public double DeadAfterSeconds { get; set; } = 6;

    /// <summary>Seconds a signed identity stays valid, either side of the receiving node's clock.</summary>
    public int SignatureSeconds { get; set; } = 30;

    /// <summary>Start of every Redis key of this installation, so that several can share one Redis.</summary>
    public string Prefix { get; set; } = "charweb";

    public const int MinSecretLength = 32;

    public static bool IsEnabled(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[$"{Section}:{nameof(Redis)}"]);

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);

    public TimeSpan DeadAfter => TimeSpan.FromSeconds(DeadAfterSeconds);
}

/// <summary>A node is named as a chardev is (QEMU's id rule), shorter.</summary>
internal static partial class NodeNames
{
    public const string Rule = "a letter first, then letters, digits, '-', '.', '_'; at most 64";

    public static bool IsValid(string? name) => name is { Length: > 0 and <= 64 } && Pattern().IsMatch(name);

    [GeneratedRegex(ChardevValidator.IdPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>Refuses a cluster that could not work, naming every wrong setting at once.</summary>
internal sealed class ClusterSettingsValidation : IValidateOptions<ClusterSettings>
{
    public ValidateOptionsResult Validate(string? name, ClusterSettings options)
    {
        var errors = new List<string>();
        void Need(bool ok, string key, string message)
        {
            if (!ok)
            {
                errors.Add($"{ClusterSettings.Section}:{key} {message}");
            }
        }

        Need(!string.IsNullOrWhiteSpace(options.Node), nameof(options.Node), "is required with CharWeb:Cluster:Redis: this node's name in the cluster");
        Need(options.Node is null || NodeNames.IsValid(options.Node), nameof(options.Node), $"'{options.Node}' is not a node name ({NodeNames.Rule})");
        Need(!string.IsNullOrWhiteSpace(options.Url), nameof(options.Url), "is required with CharWeb:Cluster:Redis: how the other nodes reach this one (http://host:port)");
        Need(options.Url is null || (Uri.TryCreate(options.Url, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)), nameof(options.Url), $"'{options.Url}' is not an absolute http or https URL");
        Need(!string.IsNullOrEmpty(options.Secret), nameof(options.Secret), "is required with CharWeb:Cluster:Redis: the secret every node shares to sign forwarded identities");
        Need(options.Secret is null || options.Secret.Length >= ClusterSettings.MinSecretLength, nameof(options.Secret), $"must have at least {ClusterSettings.MinSecretLength} characters");
        Need(options.HeartbeatSeconds is >= 0.1 and <= 5, nameof(options.HeartbeatSeconds), $"must be between 0.1 and 5, got {options.HeartbeatSeconds}");
        Need(options.DeadAfterSeconds is > 0 and <= 10, nameof(options.DeadAfterSeconds), $"must be more than 0 and at most 10 (a dead node is shown within 10 s), got {options.DeadAfterSeconds}");
        Need(options.DeadAfterSeconds >= 2 * options.HeartbeatSeconds, nameof(options.DeadAfterSeconds), $"must be at least twice HeartbeatSeconds ({options.HeartbeatSeconds}), so one late heartbeat is not a death");
        Need(options.SignatureSeconds is >= 1 and <= 300, nameof(options.SignatureSeconds), $"must be between 1 and 300, got {options.SignatureSeconds}");
        Need(!string.IsNullOrWhiteSpace(options.Prefix) && !options.Prefix.Contains(':', StringComparison.Ordinal), nameof(options.Prefix), "must be a word without ':'");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
