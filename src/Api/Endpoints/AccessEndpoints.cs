using System.Security.Claims;
using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Endpoints;

/// <summary>Who the caller is, API keys, and the login of the page.</summary>
internal static class AccessEndpoints
{
    public static void MapAccessEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me", (ClaimsPrincipal user, IOptions<AuthSettings> settings) => TypedResults.Ok(new MeResponse(
                user.UserName(), user.Role() is { } role ? Identity.Name(role) : null, user.Groups(), user.Via(), settings.Value.Oidc.Enabled ? AccessSetup.LoginPath : null)))
            .RequireAuthorization()
            .WithName("Me")
            .WithTags("Access")
            .WithSummary("Who the caller is: name, role, groups and how it signed in (apikey, jwt, oidc, loopback).")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        var keys = app.MapGroup("/api/keys").WithTags("Access").RequireRole(Role.Admin);
        keys.MapGet("/", (ApiKeyStore store) => TypedResults.Ok(store.All.Select(ApiKeyResponse.From).ToList()))
            .WithName("ListApiKeys")
            .WithSummary("API keys by name and role (never the keys themselves).");
        keys.MapPost("/", CreateKeyAsync)
            .WithName("CreateApiKey")
            .WithSummary("Make an API key; the answer carries the key, shown this once (only its SHA-256 is kept).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
        keys.MapDelete("/{name}", RevokeKeyAsync)
            .WithName("RevokeApiKey")
            .WithSummary("Revoke an API key made through the API; it stops working at once.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        app.MapGet(AccessSetup.LoginPath, (string? returnUrl, IOptions<AuthSettings> settings) => AccessSetup.Login(returnUrl, settings))
            .AllowAnonymous()
            .ExcludeFromDescription();
        app.MapPost("/auth/logout", AccessSetup.LogoutAsync)
            .AllowAnonymous()
            .ExcludeFromDescription();
    }

    private static async Task<Created<CreatedApiKeyResponse>> CreateKeyAsync(
        CreateApiKeyRequest request, ApiKeyStore store, AuditLog audit, HttpContext http, TimeProvider time, CancellationToken cancellationToken)
    {
        var (key, secret) = await store.CreateAsync(request.Name, request.Role, http.User.UserName(), time.GetUtcNow(), cancellationToken);
        audit.Record(AuditActors.Of(http), "key-create", null, detail: $"{key.Name} ({Identity.Name(key.Role)})");
        return TypedResults.Created($"/api/keys/{key.Name}", new CreatedApiKeyResponse(key.Name, Identity.Name(key.Role), secret, key.CreatedAt!.Value));
    }

    private static async Task<NoContent> RevokeKeyAsync(string name, ApiKeyStore store, AuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        var key = await store.DeleteAsync(name, cancellationToken);
        audit.Record(AuditActors.Of(http), "key-revoke", null, detail: $"{key.Name} ({Identity.Name(key.Role)})");
        return TypedResults.NoContent();
    }
}

/// <summary>The caller as the server sees it.</summary>
/// <param name="Name">User name (an API key's name, the identity provider's user name, or <c>loopback</c>).</param>
/// <param name="Role"><c>viewer</c>, <c>operator</c>, <c>admin</c>, or null: none.</param>
/// <param name="Groups">Groups, as chardev access lists name them (<c>@group</c>).</param>
/// <param name="Via"><c>apikey</c>, <c>jwt</c>, <c>oidc</c> or <c>loopback</c>.</param>
/// <param name="Login">Where the page logs in, when an identity provider is configured.</param>
public sealed record MeResponse(string Name, string? Role, IReadOnlyList<string> Groups, string Via, string? Login);

/// <summary>A key to make.</summary>
public sealed record CreateApiKeyRequest
{
    /// <summary>A letter first, then letters, digits, '.', '_' or '-'; at most 64.</summary>
    public string? Name { get; init; }

    /// <summary><c>viewer</c>, <c>operator</c> or <c>admin</c>.</summary>
    public string? Role { get; init; }
}

/// <summary>An API key, without the key.</summary>
public sealed record ApiKeyResponse(string Name, string Role, ApiKeySource Source, DateTimeOffset? CreatedAt, string? CreatedBy)
{
    public static ApiKeyResponse From(ApiKey key) => new(key.Name, Identity.Name(key.Role), key.Source, key.CreatedAt, key.CreatedBy);
}

/// <summary>A key just made: <c>key</c> is shown this once.</summary>
public sealed record CreatedApiKeyResponse(string Name, string Role, string Key, DateTimeOffset CreatedAt);
