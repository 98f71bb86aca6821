using System.Security.Claims;
using CharWeb.Engine.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Access;

/// <summary>
/// Who may do what, with ASP.NET Core's own authentication and authorization: API keys (and the
/// loopback default), JWT bearer tokens and OpenID Connect login with a cookie, one role policy
/// per role, and the cross-site guards. One policy scheme picks the handler from what a request carries.
/// </summary>
internal static class AccessSetup
{
    public const string Scheme = "CharWeb";
    public const string CookieName = "charweb.auth";
    public const string LoginPath = "/auth/login";
    private const string JwtScheme = "Jwt";
    private const string OidcScheme = "Oidc";

    /// <summary>Hosts served when <c>AllowedHosts</c> is not configured: this machine's own names, against DNS rebinding.</summary>
    public const string LoopbackHosts = "localhost;127.0.0.1;[::1]";

    public static void AddCharWebAccess(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection(AuthSettings.Section);
        services.AddOptions<AuthSettings>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        var settings = section.Get<AuthSettings>() ?? new AuthSettings();
        var oidc = settings.Oidc;
        var cluster = Cluster.ClusterSettings.IsEnabled(builder.Configuration);

        services.AddSingleton(provider => new ApiKeyStore(
            provider.GetRequiredService<ChardevDatabase>().Path,
            provider.GetRequiredService<IOptions<AuthSettings>>().Value.ApiKeys));
        services.PostConfigure<HostFilteringOptions>(o =>
        {
            if (string.IsNullOrEmpty(builder.Configuration["AllowedHosts"]))
            {
                o.AllowedHosts = LoopbackHosts.Split(';');
            }
        });

        var authentication = services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "CharWeb", o =>
            {
                o.ForwardDefaultSelector = context => Select(context, oidc.Enabled, cluster);
                // Whatever handler read the request, a refusal is the same Bearer challenge and problem answer.
                o.ForwardChallenge = ApiKeyAuthenticationHandler.SchemeName;
                o.ForwardForbid = ApiKeyAuthenticationHandler.SchemeName;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (oidc.Enabled)
        {
            AddOidc(authentication, oidc);
        }

        services.AddSingleton<IAuthorizationHandler, RoleRequirementHandler>();
        var authorization = services.AddAuthorizationBuilder();
        foreach (var role in Enum.GetValues<Role>())
        {
            authorization.AddPolicy(RoleRequirement.Policy(role), p => p.AddAuthenticationSchemes(Scheme).AddRequirements(new RoleRequirement(role)));
        }

        // A route that forgot its policy is admin-only rather than open.
        authorization.SetDefaultPolicy(new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().Build());
        authorization.SetFallbackPolicy(new AuthorizationPolicyBuilder(Scheme).AddRequirements(new RoleRequirement(Role.Admin)).Build());
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AccessProblems>();
    }

    /// <summary>Before static files: the page gets its headers, and the API its guards.</summary>
    public static void UseCharWebGuards(this WebApplication app)
    {
        app.UseMiddleware<SecurityHeaders>();
        app.UseMiddleware<CrossSiteGuard>();
        app.UseMiddleware<UrlCredentialGuard>();
    }

    private static string Select(HttpContext context, bool oidc, bool cluster)
    {
        // A request another node forwarded; off a cluster the API key handler refuses it.
        if (cluster && context.Request.Headers.ContainsKey(Cluster.SignedIdentity.Header))
        {
            return Cluster.NodeIdentityHandler.SchemeName;
        }

        if (Credentials.Token(context) is { } token)
        {
            return oidc && Credentials.LooksLikeJwt(token) ? JwtScheme : ApiKeyAuthenticationHandler.SchemeName;
        }

        return oidc && context.Request.Cookies.ContainsKey(CookieName) ? CookieAuthenticationDefaults.AuthenticationScheme : ApiKeyAuthenticationHandler.SchemeName;
    }

    private static void AddOidc(AuthenticationBuilder authentication, OidcSettings oidc)
    {
        authentication
            .AddCookie(o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                // An API route answers 401/403 with problem details; it never redirects to a login page.
                o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
                o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
            })
            .AddJwtBearer(JwtScheme, o =>
            {
                o.Authority = oidc.Authority;
                o.Audience = oidc.Audience ?? oidc.ClientId;
                o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                o.MapInboundClaims = false;
                o.Events = new JwtBearerEvents
                {
                    OnMessageReceived = c =>
                    {
                        c.Token = Credentials.Token(c.HttpContext);
                        return Task.CompletedTask;
                    },
                    OnTokenValidated = c =>
                    {
                        c.Principal = OidcClaims.Normalize(c.Principal!, oidc, "jwt", JwtScheme);
                        return Task.CompletedTask;
                    },
                };
            })
            .AddOpenIdConnect(OidcScheme, o =>
            {
                o.Authority = oidc.Authority;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = oidc.ClientSecret;
                o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                o.ResponseType = "code";
                o.UsePkce = true;
                // The code comes back on a top-level GET, so SameSite=Lax cookies (and plain http in a lab) work.
                o.ResponseMode = "query";
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.MapInboundClaims = false;
                o.SaveTokens = false;
                o.Scope.Clear();
                foreach (var scope in new[] { "openid", "profile" }.Concat(oidc.Scopes))
                {
                    o.Scope.Add(scope);
                }

                o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.Events.OnTokenValidated = c =>
                {
                    c.Principal = OidcClaims.Normalize(c.Principal!, oidc, "oidc", CookieAuthenticationDefaults.AuthenticationScheme);
                    return Task.CompletedTask;
                };
            });
    }

    /// <summary>Starts an OpenID Connect login; <paramref name="returnUrl"/> must be a path on this server.</summary>
    public static IResult Login(string? returnUrl, IOptions<AuthSettings> settings)
    {
        if (!settings.Value.Oidc.Enabled)
        {
            throw new Engine.ChardevException(Engine.ChardevErrorKind.Unsupported, "no OpenID Connect provider is configured (CharWeb:Auth:Oidc:Authority); use an API key", [new Engine.FieldError("oidc", "is not configured")]);
        }

        var local = returnUrl is { Length: > 0 } r && r[0] == '/' && !r.StartsWith("//", StringComparison.Ordinal) && !r.StartsWith("/\\", StringComparison.Ordinal) ? r : "/";
        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = local }, [OidcScheme]);
    }

    public static async Task<IResult> LogoutAsync(HttpContext context, IOptions<AuthSettings> settings)
    {
        if (settings.Value.Oidc.Enabled)
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }

        return TypedResults.NoContent();
    }

    private sealed class RoleRequirementHandler : AuthorizationHandler<RoleRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
        {
            if (context.User.Identity?.IsAuthenticated == true && context.User.Role() >= requirement.Role)
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }

}
