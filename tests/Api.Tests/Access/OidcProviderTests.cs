using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace CharWeb.Api.Tests.Access;

[Collection(nameof(OidcLogins))]
public sealed class OidcProviderTests
{
    private const string CharWebBase = "http://127.0.0.1:5999";

    [Fact]
    public async Task PublishesDiscoveryAndIssuesSignedAccessTokensWithNameGroupsAndAudience()
    {
        var ct = CharWebServer.Timeout();
        await using var provider = await OidcProvider.StartAsync(CharWebBase, ct);
        using var http = new HttpClient();

        var discovery = JsonNode.Parse(await http.GetStringAsync(new Uri(provider.Authority, ".well-known/openid-configuration"), ct))!;
        Assert.Equal(provider.Authority.ToString(), discovery["issuer"]!.GetValue<string>());
        Assert.Equal(provider.TokenEndpoint.ToString(), discovery["token_endpoint"]!.GetValue<string>());
        Assert.Equal(new Uri(provider.Authority, ".well-known/jwks").ToString(), discovery["jwks_uri"]!.GetValue<string>());

        var token = await provider.PasswordTokenAsync("olivia", "olivia-pw", ct);
        var claims = Payload(token);
        Assert.Equal("olivia", claims["sub"]!.GetValue<string>());
        Assert.Equal("olivia", claims["name"]!.GetValue<string>());
        Assert.Contains("lab-ops", Values(claims["groups"]));
        Assert.Contains(OidcProvider.Audience, Values(claims["aud"]));
        Assert.Equal(provider.Authority.ToString(), claims["iss"]!.GetValue<string>());

        var wrong = await Assert.ThrowsAsync<HttpRequestException>(() => provider.PasswordTokenAsync("olivia", "not-her-password", ct));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("invalid_grant", wrong.Message);
    }

    /// <summary>The browser's path, walked by hand: login page, code + PKCE, id token, userinfo, end session.</summary>
    [Fact]
    public async Task CodeFlowWithPkceLogsInThroughTheLoginPageAndSignsOut()
    {
        var ct = CharWebServer.Timeout();
        await using var provider = await OidcProvider.StartAsync(CharWebBase, ct);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = provider.Authority,
        };
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var authorize = QueryHelpers.AddQueryString("connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = OidcProvider.ClientId,
            ["redirect_uri"] = $"{CharWebBase}/signin-oidc",
            ["response_type"] = "code",
            ["scope"] = "openid profile groups",
            ["state"] = "state-1",
            ["nonce"] = "nonce-1",
            ["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        });

        using var toLogin = await http.GetAsync(authorize, ct);
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        var loginPage = toLogin.Headers.Location!.ToString();
        Assert.StartsWith("/login?returnUrl=", loginPage);
        Assert.Contains("id=\"login\"", await http.GetStringAsync(loginPage, ct));

        using var refused = await http.PostAsync(loginPage, Form(("username", "alice"), ("password", "wrong")), ct);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("id=\"error\"", await refused.Content.ReadAsStringAsync(ct));

        using var loggedIn = await http.PostAsync(loginPage, Form(("username", "alice"), ("password", "alice-pw")), ct);
        Assert.Equal(HttpStatusCode.Redirect, loggedIn.StatusCode);
        using var toCharWeb = await http.GetAsync(loggedIn.Headers.Location, ct);
        Assert.Equal(HttpStatusCode.Redirect, toCharWeb.StatusCode);
        var callback = toCharWeb.Headers.Location!;
        Assert.Equal($"{CharWebBase}/signin-oidc", callback.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal("state-1", query["state"].ToString());

        using var tokenResponse = await http.PostAsync(provider.TokenEndpoint, Form(
            ("grant_type", "authorization_code"),
            ("code", query["code"].ToString()),
            ("redirect_uri", $"{CharWebBase}/signin-oidc"),
            ("client_id", OidcProvider.ClientId),
            ("client_secret", OidcProvider.ClientSecret),
            ("code_verifier", verifier)), ct);
        var tokens = JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync(ct))!;
        Assert.True(tokenResponse.IsSuccessStatusCode, tokens.ToJsonString());
        var idToken = Payload(tokens["id_token"]!.GetValue<string>());
        Assert.Equal("alice", idToken["name"]!.GetValue<string>());
        Assert.Equal("alice", idToken["preferred_username"]!.GetValue<string>());
        Assert.Contains("lab-admins", Values(idToken["groups"]));
        Assert.Equal("nonce-1", idToken["nonce"]!.GetValue<string>());
        Assert.Contains(OidcProvider.ClientId, Values(idToken["aud"]));
        var accessToken = tokens["access_token"]!.GetValue<string>();
        Assert.Contains(OidcProvider.Audience, Values(Payload(accessToken)["aud"]));

        using var userinfoRequest = new HttpRequestMessage(HttpMethod.Get, "connect/userinfo");
        userinfoRequest.Headers.Authorization = new("Bearer", accessToken);
        using var userinfo = await http.SendAsync(userinfoRequest, ct);
        var userinfoClaims = JsonNode.Parse(await userinfo.Content.ReadAsStringAsync(ct))!;
        Assert.Equal("alice", userinfoClaims["name"]!.GetValue<string>());
        Assert.Contains("lab-admins", Values(userinfoClaims["groups"]));

        using var signedOut = await http.GetAsync(QueryHelpers.AddQueryString("connect/endsession", new Dictionary<string, string?>
        {
            ["id_token_hint"] = tokens["id_token"]!.GetValue<string>(),
            ["post_logout_redirect_uri"] = $"{CharWebBase}/signout-callback-oidc",
            ["state"] = "state-2",
        }), ct);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal($"{CharWebBase}/signout-callback-oidc?state=state-2", signedOut.Headers.Location!.ToString());

        using var loginAgain = await http.GetAsync(authorize, ct);
        Assert.StartsWith("/login?", loginAgain.Headers.Location!.ToString());
    }

    /// <summary>The claims of a JWS; three parts, so not an encrypted (five-part) JWE.</summary>
    private static JsonObject Payload(string jwt)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        return JsonNode.Parse(Base64UrlTextEncoder.Decode(parts[1]))!.AsObject();
    }

    /// <summary>A JWT claim holds one string or an array of them.</summary>
    private static IEnumerable<string> Values(JsonNode? claim) =>
        claim is JsonArray array ? array.Select(v => v!.GetValue<string>()) : [claim!.GetValue<string>()];

    private static string Base64Url(byte[] bytes) => Base64UrlTextEncoder.Encode(bytes);

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));
}
