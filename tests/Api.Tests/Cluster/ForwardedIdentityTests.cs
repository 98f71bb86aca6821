using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Access;
using CharWeb.Api.Cluster;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Tests.Cluster;

/// <summary>Every caller is hostile: an identity header is taken only signed with the cluster's secret, for this request, once.</summary>
public sealed class ForwardedIdentityTests
{
    private static readonly System.Security.Claims.ClaimsPrincipal Viewer = Identity.Create("vera", Role.Viewer, ["lab"], "apikey", "test");
    private static readonly System.Security.Claims.ClaimsPrincipal Admin = Identity.Create("mallory", Role.Admin, [], "apikey", "test");

    [Fact]
    public async Task AHeaderSignedWithAnotherSecretIsRefused()
    {
        await using var cluster = await ClusterNodes.StartAsync("b");
        var forger = Signer("a", "not-the-cluster-secret-but-long-enough-000000");
        using var request = Create(forger.Sign(Admin, "b", "POST", "/api/chardevs"));

        using var response = await cluster["b"].Http.SendAsync(request, CharWebServer.Timeout());

        // Not loopback admin though it comes from this machine without credentials: refused, saying why.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await Problem.ReadAsync(response);
        Assert.Contains("not signed with this cluster's secret", problem.Detail);
        Assert.Contains(SignedIdentity.Header, problem.Errors.Keys);
        Assert.Null(await ClusterNodes.ListedAsync(cluster["b"], "forged"));
    }

    [Fact]
    public async Task AnUnsignedHeaderIsRefused()
    {
        await using var cluster = await ClusterNodes.StartAsync("b");
        var payload = Convert.ToBase64String("""{"name":"mallory","role":"admin","groups":[],"via":"apikey","origin":"a","target":"b"}"""u8.ToArray());
        using var request = Create($"v1.{payload}.");

        using var response = await cluster["b"].Http.SendAsync(request, CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(await ClusterNodes.ListedAsync(cluster["b"], "forged"));
    }

    [Fact]
    public async Task ASignedHeaderActsAsItsCallerOnlyForItsRequestAndOnlyOnce()
    {
        await using var cluster = await ClusterNodes.StartAsync("b");
        var nodeA = Signer("a", ClusterNodes.Secret);

        // The caller's role travels: a viewer may not create on b, though the request comes from loopback.
        using (var asViewer = await cluster["b"].Http.SendAsync(Create(nodeA.Sign(Viewer, "b", "POST", "/api/chardevs")), CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.Forbidden, asViewer.StatusCode);
        }

        // Signed for another path: refused.
        using (var elsewhere = await cluster["b"].Http.SendAsync(Create(nodeA.Sign(Admin, "b", "POST", "/api/qmp")), CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
        }

        // Signed for another node: refused.
        using (var otherNode = await cluster["b"].Http.SendAsync(Create(nodeA.Sign(Admin, "c", "POST", "/api/chardevs")), CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, otherNode.StatusCode);
        }

        var signed = nodeA.Sign(Admin, "b", "POST", "/api/chardevs");
        using (var first = await cluster["b"].Http.SendAsync(Create(signed), CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        me.Headers.Add(SignedIdentity.Header, nodeA.Sign(Viewer, "b", "GET", "/api/me"));
        using (var who = await cluster["b"].Http.SendAsync(me, CharWebServer.Timeout()))
        {
            var body = await who.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout());
            Assert.Equal(("vera", "viewer", "apikey via node a"), (body!["name"]!.GetValue<string>(), body["role"]!.GetValue<string>(), body["via"]!.GetValue<string>()));
        }

        // Replayed: refused, though its signature is good.
        using var replay = await cluster["b"].Http.SendAsync(Create(signed, "forged-again"), CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("used before", (await Problem.ReadAsync(replay)).Detail);
    }

    [Fact]
    public async Task ASingleNodeRefusesAnyIdentityHeader()
    {
        await using var server = await CharWebServer.StartAsync();
        using var response = await server.Http.SendAsync(Create(Signer("a", ClusterNodes.Secret).Sign(Admin, "b", "POST", "/api/chardevs")), CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await server.ListAsync());
    }

    private static SignedIdentity Signer(string node, string secret) =>
        new(Options.Create(new ClusterSettings { Node = node, Secret = secret }), TimeProvider.System);

    private static HttpRequestMessage Create(string identity, string id = "forged")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/chardevs")
        {
            Content = new StringContent($$$"""{"id": "{{{id}}}", "backend": {"type": "null"}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(SignedIdentity.Header, identity);
        return request;
    }
}
