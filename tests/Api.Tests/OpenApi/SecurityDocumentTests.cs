using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests.OpenApi;

/// <summary>The document names its server and the credentials each operation takes.</summary>
public sealed class SecurityDocumentTests
{
    /// <summary>OpenID Connect configured, with a provider that is never asked: the document does not need it.</summary>
    public static Dictionary<string, string?> OidcSettings() => new()
    {
        ["CharWeb:Auth:Oidc:Authority"] = "http://127.0.0.1:9/realms/lab",
        ["CharWeb:Auth:Oidc:ClientId"] = "charweb",
        ["CharWeb:Auth:Oidc:RequireHttpsMetadata"] = "false",
    };

    [Fact]
    public async Task BearerIsNeededEverywhereButHealthAndTheServerIsNamed()
    {
        await using var server = await CharWebServer.StartAsync();

        var document = await LiveDocument.FetchAsync(server);

        Assert.Equal("/", document.Root["servers"]![0]!["url"]!.GetValue<string>());
        var bearer = document.Root["components"]!["securitySchemes"]!["bearer"]!;
        Assert.Equal(("http", "bearer"), (bearer["type"]!.GetValue<string>(), bearer["scheme"]!.GetValue<string>()));
        Assert.Null(document.Root["components"]!["securitySchemes"]!["oidcCookie"]);
        Assert.Equal("""[{"bearer":[]}]""", document.Root["security"]!.ToJsonString());
        foreach (var (path, method, operation) in Operations(document))
        {
            var expected = path == "/healthz" ? "[]" : """[{"bearer":[]}]""";
            Assert.True(expected == operation["security"]?.ToJsonString(), $"{method} {path}: security {operation["security"]?.ToJsonString()}");
        }

        Assert.All(document.Root["tags"]!.AsArray(), t => Assert.False(string.IsNullOrEmpty(t!["description"]?.GetValue<string>()), $"tag {t["name"]} has no description"));
    }

    [Fact]
    public async Task TheLoginCookieIsACredentialWhereOpenIdConnectIsConfigured()
    {
        await using var server = await CharWebServer.StartAsync(settings: OidcSettings());

        var document = await LiveDocument.FetchAsync(server);

        var cookie = document.Root["components"]!["securitySchemes"]!["oidcCookie"]!;
        Assert.Equal(("apiKey", "cookie", "charweb.auth"), (cookie["type"]!.GetValue<string>(), cookie["in"]!.GetValue<string>(), cookie["name"]!.GetValue<string>()));
        var either = """[{"bearer":[]},{"oidcCookie":[]}]""";
        Assert.Equal(either, document.Root["security"]!.ToJsonString());
        Assert.All(Operations(document).Where(o => o.Path != "/healthz"), o => Assert.Equal(either, o.Operation["security"]!.ToJsonString()));
        Assert.Equal("[]", document.Operation("/healthz", "get")["security"]!.ToJsonString());
    }

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(LiveDocument document) =>
        document.Root["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => (p.Key, o.Key, o.Value!.AsObject())));
}
