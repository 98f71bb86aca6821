using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CharWeb.Api.Access;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CharWeb.Api.Tests.Access;

/// <summary>
/// Who may call each route, as one table: the app's own endpoint list must match it (a new route
/// without a policy fails here), and every row is called by each kind of caller.
/// </summary>
public sealed class RouteAccessTests
{
    private const string Anonymous = "anonymous";
    private const string Authenticated = "authenticated";
    private static readonly string Viewer = Identity.Name(Role.Viewer);
    private static readonly string Operator = Identity.Name(Role.Operator);
    private static readonly string Admin = Identity.Name(Role.Admin);

    /// <summary>Every route but the hub's, by method and pattern, with the least a caller needs.</summary>
    private static readonly Route[] Table =
    [
        new("GET", "/healthz", Anonymous),
        new("GET", "/metrics", Admin),
        new("GET", "/auth/login", Anonymous),
        new("POST", "/auth/logout", Anonymous),
        new("GET", "/api/me", Authenticated),
        new("GET", "/api/backends", Viewer),
        new("GET", "/api/chardevs/", Viewer),
        new("POST", "/api/chardevs/", Admin),
        new("GET", "/api/chardevs/{id}", Viewer),
        new("PUT", "/api/chardevs/{id}/backend", Admin),
        new("DELETE", "/api/chardevs/{id}", Admin),
        new("POST", "/api/chardevs/{id}/write", Operator),
        new("GET", "/api/chardevs/{id}/read", Viewer),
        new("POST", "/api/chardevs/{id}/break", Operator),
        new("GET", "/api/chardevs/{id}/consoles", Viewer),
        new("GET", "/api/chardevs/{id}/history", Viewer),
        new("GET", "/api/chardevs/{id}/log", Viewer),
        new("GET", "/api/chardevs/{id}/logs", Viewer),
        new("GET", "/api/chardevs/{id}/logs/{name}", Viewer),
        new("GET", "/api/chardevs/{id}/recording", Viewer),
        new("GET", "/api/chardevs/{id}/recordings", Viewer),
        new("GET", "/api/chardevs/{id}/recordings/{name}", Viewer),
        new("POST", "/api/qmp", Admin),
        new("GET", "/api/keys/", Admin),
        new("POST", "/api/keys/", Admin),
        new("DELETE", "/api/keys/{name}", Admin),
        new("GET", "/api/audit", Admin),
        new("GET", "/api/cluster/nodes/", Admin),
        new("DELETE", "/api/cluster/nodes/{name}", Admin),
        // A WebSocket: a plain GET as a viewer is past the access check (400, "upgrade").
        new("GET", "/ws/chardevs/{id}", Viewer),
    ];

    private static readonly string[] Ladder = [Anonymous, Authenticated, Viewer, Operator, Admin];

    [Fact]
    public async Task EveryRouteOfTheAppIsInTheTableWithThePolicyItCarries()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings(anonymousLoopback: false));
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("/hubs/", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(endpoints);

        var mismatches = new List<string>();
        var seen = new HashSet<(string, string)>();
        foreach (var endpoint in endpoints)
        {
            var pattern = endpoint.RoutePattern.RawText!;
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"];
            var declared = Declared(endpoint);
            foreach (var method in methods)
            {
                seen.Add((method, pattern));
                var row = Table.SingleOrDefault(r => r.Method == method && r.Pattern == pattern);
                if (row is null)
                {
                    mismatches.Add($"{method} {pattern} ({endpoint.DisplayName}) is not in RouteAccessTests.Table: add it with the role it needs (it declares {declared})");
                }
                else if (row.Minimum != declared)
                {
                    mismatches.Add($"{method} {pattern}: the table says {row.Minimum}, the route declares {declared}");
                }
            }
        }

        foreach (var row in Table.Where(r => !seen.Contains((r.Method, r.Pattern))))
        {
            mismatches.Add($"{row.Method} {row.Pattern} is in the table but the app has no such route: remove the row");
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    [Fact]
    public async Task EachCallerIsRefusedBelowTheRouteMinimumAndServedAtOrAboveIt()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings(anonymousLoopback: false));
        var callers = new (string Name, string Level, string? Key)[]
        {
            ("no credentials", Anonymous, null),
            ("viewer key", Viewer, TestKeys.Viewer),
            ("operator key", Operator, TestKeys.Operator),
            ("admin key", Admin, TestKeys.Admin),
        };

        var mismatches = new List<string>();
        foreach (var (name, level, key) in callers)
        {
            using var client = TestKeys.Client(server, key);
            foreach (var row in Table)
            {
                using var request = Request(row);
                using var response = await client.SendAsync(request, CharWebServer.Timeout());
                var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
                var status = (int)response.StatusCode;
                var call = $"{row.Method} {row.Pattern} ({row.Minimum}) as {name}";
                if (Rank(level) >= Rank(row.Minimum))
                {
                    if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    {
                        mismatches.Add($"{call}: expected to pass the access check, got {status} {Clip(body)}");
                    }
                }
                else if (key is null)
                {
                    var challenge = response.Headers.WwwAuthenticate.ToString();
                    if (response.StatusCode != HttpStatusCode.Unauthorized || !challenge.StartsWith("Bearer", StringComparison.Ordinal))
                    {
                        mismatches.Add($"{call}: expected 401 with WWW-Authenticate: Bearer, got {status} (WWW-Authenticate '{challenge}') {Clip(body)}");
                    }
                }
                else
                {
                    var problem = ParseObject(body);
                    var type = problem?["type"]?.ToString();
                    var required = problem?["requiredRole"]?.ToString();
                    if (response.StatusCode != HttpStatusCode.Forbidden || type != "urn:charweb:problem:forbidden" || required != row.Minimum)
                    {
                        mismatches.Add($"{call}: expected 403 forbidden with requiredRole {row.Minimum}, got {status} type {type} requiredRole {required}: {Clip(body)}");
                    }
                }
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} calls did not get the access the table gives:{Environment.NewLine}{string.Join(Environment.NewLine, mismatches)}");
    }

    /// <summary>What the route's metadata asks of a caller, in the table's words.</summary>
    private static string Declared(RouteEndpoint endpoint)
    {
        var authorize = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
        var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
        if (anonymous)
        {
            return authorize.Count == 0 ? Anonymous : $"AllowAnonymous beside Authorize({string.Join(", ", authorize.Select(a => a.Policy))})";
        }

        if (authorize.Count == 0)
        {
            return "no policy (it falls to the admin-only fallback; give it .RequireRole)";
        }

        if (authorize.FirstOrDefault(a => a.Roles is not null || a.AuthenticationSchemes is not null) is { } odd)
        {
            return $"Authorize(Roles = {odd.Roles}, AuthenticationSchemes = {odd.AuthenticationSchemes})";
        }

        var policies = authorize.Select(a => a.Policy).ToList();
        if (policies.FirstOrDefault(p => p is not null && !IsRolePolicy(p)) is { } unknown)
        {
            return $"an unknown policy '{unknown}'";
        }

        var roles = policies.OfType<string>().Select(p => Identity.Parse(p)!.Value).ToList();
        return roles.Count == 0 ? Authenticated : Identity.Name(roles.Max());
    }

    private static bool IsRolePolicy(string policy) => Identity.Parse(policy) is { } role && RoleRequirement.Policy(role) == policy;

    private static int Rank(string level) => Array.IndexOf(Ladder, level) is var i and >= 0 ? i : throw new ArgumentException($"unknown level {level}", nameof(level));

    private static HttpRequestMessage Request(Route row)
    {
        var path = row.Pattern.Replace("{id}", "ghost", StringComparison.Ordinal).Replace("{name}", "ghost", StringComparison.Ordinal);
        var request = new HttpRequestMessage(new HttpMethod(row.Method), path);
        if (row.Method is "POST" or "PUT")
        {
            var body = path == "/api/qmp" ? """{"execute":"query-chardev"}""" : "{}";
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static string Clip(string body) => body.Length <= 300 ? body : body[..300] + "...";

    private static JsonObject? ParseObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private sealed record Route(string Method, string Pattern, string Minimum);
}
