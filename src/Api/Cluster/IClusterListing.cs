using CharWeb.Api.Endpoints;

namespace CharWeb.Api.Cluster;

/// <summary>
/// The other nodes' chardevs as this node last read them, for the page's list (<c>WatchChardevs</c>): one read of the
/// directory serves every watcher, so a watcher's work does not grow with the cluster's traffic.
/// </summary>
public interface IClusterListing
{
    /// <summary>The other nodes' chardevs (<c>unreachable</c> where the owner's heartbeat stopped); empty on a single node.</summary>
    IReadOnlyList<ChardevResponse> Others { get; }

    /// <summary><see cref="Others"/> changed.</summary>
    event Action? Changed;
}

/// <summary>A server alone: no other node lists anything.</summary>
internal sealed class SingleNodeListing : IClusterListing
{
    public IReadOnlyList<ChardevResponse> Others => [];

    public event Action? Changed
    {
        add { }
        remove { }
    }
}
