using System.Security.Claims;
using CharWeb.Api.Access;
using System.Text.Json;
using CharWeb.Api.Audit;
using CharWeb.Api.Cluster;
using CharWeb.Engine;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Endpoints;

/// <summary>The chardev lifecycle and I/O routes of DESIGN.md; errors are mapped by <see cref="Problems.ChardevProblemHandler"/>.</summary>
internal static class ChardevEndpoints
{
    public static void MapChardevEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/chardevs").WithTags("Chardevs");

        group.MapGet("/", ListAsync)
            .RequireRole(Role.Viewer)
            .WithName("ListChardevs")
            .WithSummary("Every chardev with state and stats (QEMU query-chardev); in a cluster, those of every node, each with its node.");

        group.MapPost("/", CreateAsync)
            .RequireRole(Role.Admin)
            .WithName("CreateChardev")
            .WithSummary("Create a chardev (QEMU chardev-add); in a cluster, on the node it names (default: this one).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapGet("/{id}", (string id, ChardevRegistry registry, IClusterNodes nodes, ClaimsPrincipal user) => TypedResults.Ok(ChardevResponse.From(user.Require(registry, id, Role.Viewer), nodes.Self)))
            .RequireRole(Role.Viewer)
            .WithName("GetChardev")
            .WithSummary("One chardev.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/{id}/backend", ChangeBackendAsync)
            .RequireRole(Role.Admin)
            .WithName("ChangeChardevBackend")
            .WithSummary("Hot-swap the backend; consoles stay attached; on failure the old backend stays (QEMU chardev-change).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapDelete("/{id}", RemoveAsync)
            .RequireRole(Role.Admin)
            .WithName("RemoveChardev")
            .WithSummary("Remove a chardev; attached consoles are told (QEMU chardev-remove).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id}/write", WriteAsync)
            .RequireRole(Role.Operator)
            .WithName("WriteChardev")
            .WithSummary("Write bytes into the device (QEMU ringbuf-write); answers how many were accepted.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapGet("/{id}/read", Read)
            .RequireRole(Role.Viewer)
            .WithName("ReadChardev")
            .WithSummary("Consume bytes from a ringbuf, or read the newest history of any other chardev (QEMU ringbuf-read).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/{id}/break", SendBreakAsync)
            .RequireRole(Role.Operator)
            .WithName("SendChardevBreak")
            .WithSummary("Send a break (QEMU chardev-send-break).")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<ChardevListResult> ListAsync(ChardevRegistry registry, IClusterNodes nodes, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var local = registry.All;
        var listed = local.Where(user.MaySee).Select(c => ChardevResponse.From(c, nodes.Self)).ToList();
        var others = await nodes.OthersAsync(cancellationToken);
        if (others.Count == 0)
        {
            return new ChardevListResult(listed, []);
        }

        // An id this node has is served here, whatever another node lists under it.
        var here = local.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        return new ChardevListResult(listed, others.Where(c => !here.Contains(c.Chardev.Id) && user.RoleOn(c.Chardev.Access) is not null));
    }

    private static async Task<Results<Created<ChardevResponse>, EmptyHttpResult>> CreateAsync(
        ChardevDefinition definition, ChardevRegistry registry, IClusterNodes nodes, AuditLog audit, IOptions<JsonOptions> json, HttpContext http, CancellationToken cancellationToken)
    {
        if (nodes.Elsewhere(definition.Node) is { } node)
        {
            // One hop: a create another node forwarded is made here or refused, never sent on.
            if (http.User.HasClaim(c => c.Type == NodeIdentityHandler.OriginClaim))
            {
                throw ChardevException.Invalid("node", $"was forwarded to node '{nodes.Self}' and is not sent on to '{node}'");
            }

            // The owner gets what this node understood, so both judge the same request.
            await nodes.ForwardAsync(http, node, JsonSerializer.SerializeToUtf8Bytes(definition, json.Value.SerializerOptions), cancellationToken);
            if (http.Response.StatusCode == StatusCodes.Status201Created)
            {
                audit.Record(AuditActors.Of(http), "create", definition.Id, detail: $"{definition.Backend?.Type}, on node {node} from node {nodes.Self}");
            }

            return TypedResults.Empty;
        }

        var chardev = await registry.CreateAsync(definition with { Node = null }, cancellationToken);
        audit.Record(AuditActors.Of(http), "create", chardev.Id, detail: definition.Backend!.Type);
        return TypedResults.Created($"/api/chardevs/{Uri.EscapeDataString(chardev.Id)}", ChardevResponse.From(chardev, nodes.Self));
    }

    private static async Task<Ok<ChardevResponse>> ChangeBackendAsync(
        string id, BackendOptions backend, ChardevRegistry registry, IClusterNodes nodes, AuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        var chardev = await registry.ChangeBackendAsync(id, backend, cancellationToken);
        audit.Record(AuditActors.Of(http), "change", id, detail: backend?.Type);
        return TypedResults.Ok(ChardevResponse.From(chardev, nodes.Self));
    }

    private static async Task<NoContent> RemoveAsync(string id, ChardevRegistry registry, AuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        await registry.RemoveAsync(id, cancellationToken);
        audit.Record(AuditActors.Of(http), "remove", id);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<WriteResponse>> WriteAsync(
        string id, WriteRequest request, ChardevRegistry registry, IOptions<CharWebOptions> options, AuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        var chardev = http.User.Require(registry, id, Role.Operator);
        var bytes = Decode(request);
        var limit = options.Value.MaxWriteBytes;
        if (bytes.Length > limit)
        {
            throw new ChardevException(
                ChardevErrorKind.TooLarge,
                $"a write may carry at most {limit} bytes (CharWeb:MaxWriteBytes), this one has {bytes.Length}",
                [new FieldError("data", $"is {bytes.Length} bytes, more than the limit of {limit}")]);
        }

        // REST writes go through whoever holds the seat (automation types beside a watching person), and are audited.
        // One REST writer per user name: a mux escape split over two of its requests still works, and never touches a console's.
        var accepted = await chardev.WriteAsync(bytes, InputSource.Named("rest:" + http.User.UserName()), cancellationToken);
        audit.Record(AuditActors.Of(http), "write", id, bytes.Length, chardev.Definition.AuditInput ? bytes : default, detail: $"rest, {accepted} accepted");
        return TypedResults.Ok(new WriteResponse(accepted));
    }

    /// <param name="id">The chardev.</param>
    /// <param name="size">Most bytes to read (default 65536).</param>
    /// <param name="format">How to encode the answer (default utf8).</param>
    /// <param name="registry">The chardevs.</param>
    /// <param name="options">Server limits.</param>
    /// <param name="user">The caller.</param>
    private static Ok<ReadResponse> Read(string id, int? size, DataFormat? format, ChardevRegistry registry, IOptions<CharWebOptions> options, ClaimsPrincipal user)
    {
        // Reading history only looks; reading a ringbuf consumes it, which is an operator's act.
        var chardev = user.Require(registry, id, Role.Viewer);
        if (chardev.IsConsumable)
        {
            user.Require(chardev, Role.Operator);
        }

        var max = options.Value.MaxReadBytes;
        var wanted = size ?? Math.Min(65536, max);
        if (wanted <= 0 || wanted > max)
        {
            throw ChardevException.Invalid("size", $"must be between 1 and {max}, got {wanted}");
        }

        // Query binding takes numbers for enums too; only the names are part of the API.
        if (format is { } f && !Enum.IsDefined(f))
        {
            throw ChardevException.Invalid("format", "must be one of: utf8, base64");
        }

        var bytes = chardev.Read(wanted);
        var encoding = format ?? DataFormat.utf8;
        return TypedResults.Ok(new ReadResponse(encoding.Encode(bytes), encoding));
    }

    private static async Task<NoContent> SendBreakAsync(string id, ChardevRegistry registry, AuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        var actor = AuditActors.Of(http);
        await http.User.Require(registry, id, Role.Operator).SendBreakAsync(actor.InLog("rest"), cancellationToken);
        audit.Record(actor, "break", id, detail: "rest");
        return TypedResults.NoContent();
    }

    private static byte[] Decode(WriteRequest request)
    {
        if (request.Data is null)
        {
            throw ChardevException.Invalid("data", "is required");
        }

        try
        {
            return request.Format.Decode(request.Data);
        }
        catch (FormatException)
        {
            throw ChardevException.Invalid("data", "is not valid base64");
        }
    }
}
