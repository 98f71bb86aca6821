using System.Text.Json;

namespace CharWeb.Api.Cluster;

/// <summary>How the cluster's own records (heartbeats, signed identities) are written: camelCase, as the API's JSON.</summary>
internal static class ClusterJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
