using CharWeb.Api.Problems;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Access;

/// <summary>
/// Any web page a user visits could drive a CharWeb the browser can reach (a console on localhost,
/// a lab server): so the hub, the API and the metrics take no request a browser sent from another origin.
/// <c>Origin</c> must be this server's own or one of <c>CharWeb:Auth:AllowedOrigins</c>; without
/// Origin, <c>Sec-Fetch-Site</c> must say same-origin (or none: typed into the address bar).
/// Clients that are not browsers send neither and pass. Login callbacks (<c>/signin-oidc</c>) and
/// the page itself are not guarded: a link from elsewhere may open a console page.
/// </summary>
internal sealed class CrossSiteGuard(RequestDelegate next, IOptions<AuthSettings> settings)
{
    private readonly HashSet<string> _allowed = settings.Value.AllowedOrigins
        .Select(o => o.TrimEnd('/'))
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        var path = context.Request.Path;
        if (!Guarded(path) || Reason(context) is not { } reason)
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = ChardevProblemHandler.Create(StatusCodes.Status403Forbidden, "cross-site", "Cross-site request refused", reason, [new Engine.FieldError("origin", reason)]),
        }).AsTask();
    }

    private static bool Guarded(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/ws") || path.StartsWithSegments("/auth")
        || path.StartsWithSegments(Metrics.MetricsSetup.Path);

    private string? Reason(HttpContext context)
    {
        var request = context.Request;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            return origin != "null" && (SameHost(origin, request) || _allowed.Contains(origin.TrimEnd('/')))
                ? null
                : $"a page from {origin} may not call this server (allowed: its own origin and CharWeb:Auth:AllowedOrigins)";
        }

        var site = request.Headers["Sec-Fetch-Site"].ToString();
        return site is "" or "same-origin" or "none" ? null : $"the browser says this request comes from a {site} page (Sec-Fetch-Site)";
    }

    /// <summary>The page's host and port are the ones this request was sent to (a TLS proxy in front may change only the scheme).</summary>
    private static bool SameHost(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.Equals(uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}", DefaultPortless(request), StringComparison.OrdinalIgnoreCase);

    private static string DefaultPortless(HttpRequest request)
    {
        var host = request.Host;
        return host.Port is 80 or 443 or null ? host.Host : host.Value!;
    }
}

/// <summary>Refuses an API key in a REST URL: URLs end up in logs, proxies and browser history. Only WebSockets (the hub, <c>/ws/chardevs/</c>) may carry one.</summary>
internal sealed class UrlCredentialGuard(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        if (Credentials.TakesQueryToken(context.Request.Path) || context.Request.Query.Keys.FirstOrDefault(k => Credentials.QueryNames.Contains(k, StringComparer.OrdinalIgnoreCase)) is not { } name)
        {
            return next(context);
        }

        var reason = "credentials go in the Authorization header (Bearer), never in a URL";
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = ChardevProblemHandler.Create(StatusCodes.Status400BadRequest, "credentials-in-url", "Credentials in the URL are refused", $"{name}: {reason}", [new Engine.FieldError(name, reason)]),
        }).AsTask();
    }
}

/// <summary>The page's own defences: no inline script, no framing by other sites, no sniffing.</summary>
internal sealed class SecurityHeaders(RequestDelegate next)
{
    // xterm.js writes its theme into a style element, hence 'unsafe-inline' for styles only.
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.XFrameOptions = "SAMEORIGIN";
        // Swagger UI ships its own inline bootstrap; it keeps the framing rules, not the script rule.
        headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/swagger") ? "frame-ancestors 'self'; object-src 'none'" : Policy;
        return next(context);
    }
}
