using System.Collections.Immutable;
using System.Net;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CharWeb.Api.Tests.Access;

/// <summary>
/// A real OpenID Connect provider (OpenIddict on its own Kestrel port, SQLite stores), so the tests
/// exercise CharWeb's stock OpenIdConnect and JwtBearer handlers end to end — discovery, signed JWTs,
/// code + PKCE, end session — instead of a fake authentication handler that would prove nothing about them.
/// </summary>
/// <summary>
/// The tests that log in through the provider run alone: each round trip crosses two servers and, in
/// Chromium, a browser, and under the whole suite's load on two cores they outlasted their timeouts.
/// </summary>
[CollectionDefinition(nameof(OidcLogins), DisableParallelization = true)]
public sealed class OidcLogins;

public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "charweb";
    public const string ClientSecret = "charweb-test-secret";

    /// <summary>The access tokens' audience (<c>aud</c>); CharWeb's JwtBearer handler uses it as Audience.</summary>
    public const string Audience = "charweb";

    public const string GroupsClaim = "groups";

    public static readonly IReadOnlyDictionary<string, (string Password, string[] Groups)> Users =
        new Dictionary<string, (string Password, string[] Groups)>
        {
            ["alice"] = ("alice-pw", ["lab-admins"]),
            ["olivia"] = ("olivia-pw", ["lab-ops"]),
            ["victor"] = ("victor-pw", ["lab-viewers"]),
            ["nobody"] = ("nobody-pw", []),
        };

    private const string LoginScheme = "oidc-provider-login";

    private readonly WebApplication _app;
    private readonly string _dir;
    private readonly HttpClient _http;

    private OidcProvider(WebApplication app, Uri authority, string dir)
    {
        _app = app;
        _dir = dir;
        Authority = authority;
        _http = new HttpClient { BaseAddress = authority, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The issuer, with a trailing slash: <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri Authority { get; }

    public Uri TokenEndpoint => new(Authority, "connect/token");

    /// <summary>Starts a provider whose client may redirect to <c>{base}/signin-oidc</c> and <c>{base}/signout-callback-oidc</c>.</summary>
    public static Task<OidcProvider> StartAsync(string charwebRedirectBase, CancellationToken ct) =>
        StartAsync([charwebRedirectBase], ct);

    /// <inheritdoc cref="StartAsync(string, CancellationToken)"/>
    public static async Task<OidcProvider> StartAsync(IEnumerable<string> charwebRedirectBases, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("charweb-oidc-").FullName;
        // The issuer goes into every token, so the port has to be known before the server is built.
        var authority = new Uri($"http://127.0.0.1:{CharWebServer.FreePort()}/");

        // An empty content root keeps the test output's appsettings.json (CharWeb's) out of the provider.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [$"--urls={authority.GetLeftPart(UriPartial.Authority)}"],
            ContentRootPath = dir,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        builder.Services.AddDbContext<ProviderDb>(o => o.UseSqlite($"Data Source={Path.Combine(dir, "oidc.db")}").UseOpenIddict());
        // Keys in memory: nothing written to ~/.aspnet, and the login cookie dies with the provider.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        // Cookies ignore ports: CharWeb on the same 127.0.0.1 must not see or overwrite this one.
        builder.Services.AddAuthentication().AddCookie(LoginScheme, o => o.Cookie.Name = "charweb-test-idp");
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<ProviderDb>())
            .AddServer(o =>
            {
                o.SetIssuer(authority)
                    .SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetUserInfoEndpointUris("connect/userinfo")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .AllowAuthorizationCodeFlow()
                    .RequireProofKeyForCodeExchange()
                    .AllowPasswordFlow()
                    .RegisterScopes(Scopes.OpenId, Scopes.Profile, GroupsClaim)
                    .AddEphemeralEncryptionKey()
                    .AddEphemeralSigningKey()
                    // CharWeb's JwtBearer handler must read the access tokens: a JWS, not a JWE.
                    .DisableAccessTokenEncryption();
                o.UseAspNetCore()
                    .DisableTransportSecurityRequirement()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough();
            });

        var app = builder.Build();
        app.UseAuthentication();
        MapEndpoints(app);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ProviderDb>().Database.EnsureCreatedAsync(ct);
            var client = new OpenIddictApplicationDescriptor
            {
                ClientId = ClientId,
                ClientSecret = ClientSecret,
                ClientType = ClientTypes.Confidential,
                ConsentType = ConsentTypes.Implicit,
                DisplayName = "CharWeb (tests)",
                Permissions =
                {
                    Permissions.Endpoints.Authorization,
                    Permissions.Endpoints.Token,
                    Permissions.Endpoints.EndSession,
                    Permissions.GrantTypes.AuthorizationCode,
                    Permissions.GrantTypes.Password,
                    Permissions.ResponseTypes.Code,
                    Permissions.Scopes.Profile,
                    Permissions.Prefixes.Scope + GroupsClaim,
                },
                Requirements = { Requirements.Features.ProofKeyForCodeExchange },
            };
            foreach (var redirectBase in charwebRedirectBases.Select(b => b.TrimEnd('/')))
            {
                client.RedirectUris.Add(new Uri($"{redirectBase}/signin-oidc"));
                client.PostLogoutRedirectUris.Add(new Uri($"{redirectBase}/signout-callback-oidc"));
            }

            await scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(client, ct);
        }

        await app.StartAsync(ct);
        return new OidcProvider(app, authority, dir);
    }

    /// <summary>A JWT access token through the password grant, for API tests that need no browser.</summary>
    public async Task<string> PasswordTokenAsync(string user, string password, CancellationToken ct)
    {
        using var response = await _http.PostAsync(TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GrantTypes.Password,
            ["client_id"] = ClientId,
            ["client_secret"] = ClientSecret,
            ["username"] = user,
            ["password"] = password,
            ["scope"] = "openid profile",
        }), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"password grant for {user} answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }

        return JsonNode.Parse(body)?["access_token"]?.GetValue<string>()
            ?? throw new HttpRequestException($"password grant for {user} returned no access_token: {body}");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
        // Pooled connections keep the database file open.
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/", () => Results.Text("CharWeb test identity provider"));

        app.MapGet("/login", (string? returnUrl) => LoginPage(returnUrl, error: null));

        // Reads the form by hand: a [FromForm] parameter would demand antiforgery middleware.
        app.MapPost("/login", async (HttpContext http, string? returnUrl) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var user = form["username"].ToString();
            if (!Users.TryGetValue(user, out var entry) || entry.Password != form["password"].ToString())
            {
                return LoginPage(returnUrl, "Invalid user name or password.");
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], LoginScheme);
            await http.SignInAsync(LoginScheme, new ClaimsPrincipal(identity));
            return Results.Redirect(IsLocal(returnUrl) ? returnUrl! : "/");
        });

        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], async (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
            var login = await http.AuthenticateAsync(LoginScheme);
            if (login.Principal?.Identity?.Name is not { } user || !Users.ContainsKey(user))
            {
                var parameters = http.Request.HasFormContentType
                    ? (await http.Request.ReadFormAsync(http.RequestAborted)).ToList()
                    : http.Request.Query.ToList();
                var returnUrl = http.Request.PathBase + http.Request.Path + QueryString.Create(parameters);
                return Results.Redirect("/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
            }

            // Implicit consent: the code is issued straight away.
            return Results.SignIn(Principal(user, request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });

        app.MapPost("/connect/token", async (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
            if (request.IsPasswordGrantType())
            {
                return request.Username is { } user && Users.TryGetValue(user, out var entry) && entry.Password == request.Password
                    ? Results.SignIn(Principal(user, request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)
                    : InvalidGrant("The user name or password is invalid.");
            }

            if (request.IsAuthorizationCodeGrantType())
            {
                // OpenIddict has already validated the code (and PKCE); the claims are rebuilt so they carry destinations.
                var code = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
                return code.Principal?.GetClaim(Claims.Subject) is { } user && Users.ContainsKey(user)
                    ? Results.SignIn(Principal(user, code.Principal.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)
                    : InvalidGrant("The authorization code is no longer valid.");
            }

            throw new InvalidOperationException($"Unexpected grant type {request.GrantType}.");
        });

        app.MapMethods("/connect/userinfo", [HttpMethods.Get, HttpMethods.Post], async (HttpContext http) =>
        {
            var token = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            if (token.Principal?.GetClaim(Claims.Subject) is not { } user || !Users.TryGetValue(user, out var entry))
            {
                return Results.Challenge(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
            }

            return Results.Ok(new Dictionary<string, object>
            {
                [Claims.Subject] = user,
                [Claims.Name] = user,
                [Claims.PreferredUsername] = user,
                [GroupsClaim] = entry.Groups,
            });
        });

        app.MapMethods("/connect/endsession", [HttpMethods.Get, HttpMethods.Post], async (HttpContext http) =>
        {
            await http.SignOutAsync(LoginScheme);
            // OpenIddict redirects to the validated post_logout_redirect_uri; "/" is only the fallback.
            return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        });
    }

    private static ClaimsPrincipal Principal(string user, ImmutableArray<string> scopes)
    {
        var identity = new ClaimsIdentity(authenticationType: "oidc-provider", nameType: Claims.Name, roleType: GroupsClaim);
        identity.SetClaim(Claims.Subject, user)
            .SetClaim(Claims.Name, user)
            .SetClaim(Claims.PreferredUsername, user)
            .SetClaims(GroupsClaim, [.. Users[user].Groups]);
        identity.SetScopes(scopes);
        identity.SetResources(Audience);
        // CharWeb may read either token, so every claim goes into both.
        identity.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return new ClaimsPrincipal(identity);
    }

    private static IResult InvalidGrant(string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidGrant,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    private static bool IsLocal(string? url) =>
        url is ['/', ..] && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    private static IResult LoginPage(string? returnUrl, string? error)
    {
        var action = "/login?returnUrl=" + Uri.EscapeDataString(returnUrl ?? "/");
        var message = error is null ? "" : $"""<p id="error" role="alert">{WebUtility.HtmlEncode(error)}</p>""";
        return Results.Content(
            $"""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Test identity provider: sign in</title></head>
            <body>
              <h1>Sign in</h1>
              {message}
              <form method="post" action="{WebUtility.HtmlEncode(action)}">
                <label>User name <input name="username" id="username" autocomplete="username"></label>
                <label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
                <button type="submit" id="login">Sign in</button>
              </form>
            </body>
            </html>
            """,
            "text/html; charset=utf-8");
    }

    private sealed class ProviderDb(DbContextOptions<ProviderDb> options) : DbContext(options);
}
