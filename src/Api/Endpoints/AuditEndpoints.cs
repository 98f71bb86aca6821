using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using CharWeb.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CharWeb.Api.Endpoints;

/// <summary><c>GET /api/audit</c>: who did what, oldest first, a page at a time (admin).</summary>
internal static class AuditEndpoints
{
    public const int MaxLimit = 1000;

    public static void MapAuditEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/audit", QueryAsync)
            .RequireRole(Role.Admin)
            .WithName("ListAudit")
            .WithTags("Access")
            .WithSummary("Audit entries (attach, detach, writer, write, break, create, change, remove, key changes), oldest first; follow 'next' for the following page.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

    /// <param name="chardev">Only this chardev's entries.</param>
    /// <param name="since">Only entries at or after this time (ISO 8601).</param>
    /// <param name="after">Only entries after this id (the 'next' cursor of the previous page).</param>
    /// <param name="limit">At most this many entries (1 to 1000, default 100).</param>
    /// <param name="audit">The audit log.</param>
    /// <param name="cancellationToken">The request.</param>
    private static async Task<Ok<AuditPage>> QueryAsync(string? chardev, DateTimeOffset? since, long? after, int? limit, AuditLog audit, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var take = limit ?? 100;
        if (take is < 1 or > MaxLimit)
        {
            errors.Add(new FieldError("limit", $"must be between 1 and {MaxLimit}, got {take}"));
        }

        if (after is < 0)
        {
            errors.Add(new FieldError("after", $"must be 0 or more, got {after}"));
        }

        if (chardev is not null)
        {
            ChardevValidator.ValidateId(chardev, errors);
        }

        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors.Select(e => e.Field == "id" ? e with { Field = "chardev" } : e).ToList());
        }

        var entries = await audit.QueryAsync(chardev, since, after ?? 0, take, cancellationToken);
        return TypedResults.Ok(new AuditPage(entries, entries.Count == take ? entries[^1].Id : null));
    }
}

/// <summary>One page of the audit; <c>next</c> is the <c>after</c> of the following page, null on the last.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? Next);
