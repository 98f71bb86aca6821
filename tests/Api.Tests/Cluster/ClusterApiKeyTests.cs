using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;
using StackExchange.Redis;

namespace CharWeb.Api.Tests.Cluster;

/// <summary>An API key made on one node works on every node; revoked there, it stops working everywhere; Redis holds only its hash.</summary>
public sealed class ClusterApiKeyTests
{
    [Fact]
    public async Task AKeyMadeOnAWorksOnBUntilARevokesIt()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        using var made = await cluster["a"].Http.PostAsJsonAsync("/api/keys", new { name = "ci", role = "operator" }, CharWebServer.Timeout());
        var body = await made.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(made.StatusCode == HttpStatusCode.Created, $"POST /api/keys on a answered {(int)made.StatusCode}: {body}");
        var key = JsonNode.Parse(body)!["key"]!.GetValue<string>();

        using var onB = new HttpClient { BaseAddress = cluster["b"].BaseAddress };
        onB.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        JsonObject? me = null;
        await HubConsole.UntilAsync(
            async () =>
            {
                using var response = await onB.GetAsync("/api/me", CharWebServer.Timeout());
                me = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()) : null;
                return me is not null;
            },
            "b accepts the key a made");
        Assert.Equal(("ci", "operator", "apikey"), (me!["name"]!.GetValue<string>(), me["role"]!.GetValue<string>(), me["via"]!.GetValue<string>()));

        // b lists only its own keys; what Redis holds is the key's hash, never the key.
        Assert.DoesNotContain("\"ci\"", await cluster["b"].Http.GetStringAsync("/api/keys", CharWebServer.Timeout()));
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.Connection))
        {
            var server = redis.GetServer(redis.GetEndPoints().Single());
            foreach (var name in server.Keys(pattern: "*"))
            {
                var dump = name.ToString() + " " + (redis.GetDatabase().KeyType(name) == RedisType.Hash
                    ? string.Join(" ", (await redis.GetDatabase().HashGetAllAsync(name)).Select(e => $"{e.Name}={e.Value}"))
                    : "");
                Assert.DoesNotContain(key, dump);
            }

            Assert.True(await redis.GetDatabase().HashExistsAsync("charweb:apikeys:a", CharWeb.Api.Access.ApiKeyStore.Hash(key)), "a's key is listed under its hash");
        }

        // Revoked on a: b refuses it too.
        using (var revoked = await cluster["a"].Http.DeleteAsync("/api/keys/ci", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        await HubConsole.UntilAsync(
            async () =>
            {
                using var response = await onB.GetAsync("/api/me", CharWebServer.Timeout());
                return response.StatusCode == HttpStatusCode.Unauthorized;
            },
            "b refuses the key a revoked");
    }
}
