using CharWeb.Engine;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Cluster;

/// <summary>
/// Makes this server a node of a cluster when <c>CharWeb:Cluster:Redis</c> is set; otherwise it stays a single
/// node and nothing here is loaded (no Redis, no forwarder, no node-to-node identities).
/// </summary>
internal static class ClusterSetup
{
    /// <summary>After the chardevs' own startup, so the first directory rebuild sees the restored ones.</summary>
    public static void AddCharWebCluster(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        if (!ClusterSettings.IsEnabled(builder.Configuration))
        {
            services.AddSingleton<IClusterNodes, SingleNode>();
            services.AddSingleton<IClusterListing, SingleNodeListing>();
            return;
        }

        services.AddOptions<ClusterSettings>().Bind(builder.Configuration.GetSection(ClusterSettings.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterSettings>, ClusterSettingsValidation>();
        services.AddSingleton<RedisConnection>();
        services.AddSingleton<RedisIdReservations>();
        services.AddSingleton<IChardevIdReservations>(provider => provider.GetRequiredService<RedisIdReservations>());
        services.AddSingleton<SignedIdentity>();
        services.AddHttpForwarder();
        services.AddSingleton<NodeForwarder>();
        services.AddSingleton<DirectoryCopy>();
        services.AddSingleton<ClusterDirectory>();
        services.AddSingleton<IClusterNodes>(provider => provider.GetRequiredService<ClusterDirectory>());
        services.AddHostedService<NodeHeartbeat>();
        services.AddHostedService<DirectoryWriter>();
        services.AddSingleton<DirectoryWatch>();
        services.AddSingleton<IClusterListing>(provider => provider.GetRequiredService<DirectoryWatch>());
        services.AddHostedService(provider => provider.GetRequiredService<DirectoryWatch>());
        services.AddHostedService<ClusterApiKeys>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, NodeIdentityHandler>(NodeIdentityHandler.SchemeName, null);
    }

    /// <summary>After authorization: a request for another node's chardev has passed this node's route checks before it goes there.</summary>
    public static void UseCharWebCluster(this WebApplication app)
    {
        if (ClusterSettings.IsEnabled(app.Configuration))
        {
            app.UseMiddleware<OwnerForwarding>();
        }
    }
}
