using System.Security.Cryptography;

namespace CharWeb.Bench;

/// <summary>A real <c>redis-server</c> and CharWeb nodes sharing it (the published app, each on a loopback port of its own), stopped together.</summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly RedisProcess _redis;
    private readonly List<CharWebProcess> _nodes;

    private BenchCluster(RedisProcess redis, List<CharWebProcess> nodes)
    {
        _redis = redis;
        _nodes = nodes;
    }

    /// <summary>The nodes, in the order their names were given.</summary>
    public IReadOnlyList<CharWebProcess> Nodes => _nodes;

    /// <summary>Starts Redis, then one node per name (its demo chardev named <c>demo-NAME</c>, so no two nodes claim one id).</summary>
    public static async Task<BenchCluster> StartAsync(string appDir, IReadOnlyList<string> names, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var redis = await RedisProcess.StartAsync(cancellationToken);
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var nodes = new List<CharWebProcess>();
        var cluster = new BenchCluster(redis, nodes);
        try
        {
            foreach (var name in names)
            {
                var port = Ser2netProcess.FreePort();
                nodes.Add(await CharWebProcess.StartAsync(appDir, cancellationToken, new Dictionary<string, string>(settings)
                {
                    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                    ["CharWeb__Cluster__Redis"] = redis.Connection,
                    ["CharWeb__Cluster__Node"] = name,
                    ["CharWeb__Cluster__Url"] = $"http://127.0.0.1:{port}",
                    ["CharWeb__Cluster__Secret"] = secret,
                    ["CharWeb__Chardevs__0__Id"] = "demo-" + name,
                }));
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }
}
