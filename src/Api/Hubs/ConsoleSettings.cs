using System.ComponentModel.DataAnnotations;

namespace CharWeb.Api.Hubs;

/// <summary>The <c>CharWeb:Console</c> section: how browser consoles are fed and watched.</summary>
public sealed class ConsoleSettings
{
    public const string Section = "CharWeb:Console";

    /// <summary>Output one console may have queued; past that it loses the oldest (default 1 MiB).</summary>
    [Range(4096, 256 << 20)]
    public int BufferBytes { get; set; } = 1 << 20;

    /// <summary>Output sent but not yet acknowledged as rendered before sending pauses (default 512 KiB).</summary>
    [Range(1024, 256 << 20)]
    public int WindowBytes { get; set; } = 512 << 10;

    /// <summary>Server keep-alive ping; the browser client's server timeout is twice the client timeout below.</summary>
    [Range(1, 300)]
    public int KeepAliveSeconds { get; set; } = 5;

    /// <summary>A client silent for this long is dropped and its consoles detached.</summary>
    [Range(2, 600)]
    public int ClientTimeoutSeconds { get; set; } = 15;

    /// <summary>How often watchers of the chardev list get fresh stats.</summary>
    [Range(100, 60000)]
    public int StatsIntervalMs { get; set; } = 1000;
}
