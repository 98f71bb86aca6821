using System.Net.Http.Headers;
using CharWeb.Api.Access;

namespace CharWeb.Api.Tests.Access;

/// <summary>A server that takes no anonymous loopback caller, with one declared API key per role.</summary>
public static class TestKeys
{
    public const string Admin = "cwk_test-admin-key";
    public const string Operator = "cwk_test-operator-key";
    public const string Viewer = "cwk_test-viewer-key";

    /// <summary>The operator key's caller is in group <c>lab</c>, so access lists can name <c>@lab</c>.</summary>
    public static Dictionary<string, string?> Settings(bool anonymousLoopback = false, IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["CharWeb:Auth:AnonymousLoopback"] = anonymousLoopback ? "true" : "false" };
        var keys = new[] { ("admin-key", "admin", Admin), ("operator-key", "operator", Operator), ("viewer-key", "viewer", Viewer) };
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"CharWeb:Auth:ApiKeys:{i}:Name"] = keys[i].Item1;
            settings[$"CharWeb:Auth:ApiKeys:{i}:Role"] = keys[i].Item2;
            settings[$"CharWeb:Auth:ApiKeys:{i}:Sha256"] = ApiKeyStore.Hash(keys[i].Item3);
        }

        settings["CharWeb:Auth:ApiKeys:1:Groups:0"] = "lab";
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static string? For(Role? role) => role switch
    {
        Role.Admin => Admin,
        Role.Operator => Operator,
        Role.Viewer => Viewer,
        _ => null,
    };

    /// <summary>A client of <paramref name="server"/> that sends <paramref name="key"/> as its bearer token (none for null).</summary>
    public static HttpClient Client(CharWebServer server, string? key)
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }
}
