using System.Text.Json.Nodes;
using CharWeb.Api.Access;
using CharWeb.Api.OpenApi;
using CharWeb.Engine;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.Swagger;

namespace CharWeb.Api.Endpoints;

/// <summary><c>GET /api/backends</c>: every kind from the registry, with its options.</summary>
internal static class BackendEndpoints
{
    public static void MapBackendEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/backends", (BackendCatalog catalog) => TypedResults.Ok(catalog.Kinds))
            .RequireRole(Role.Viewer)
            .WithName("ListBackends")
            .WithTags("Backends")
            .WithSummary("Backend kinds with their options (QEMU query-chardev-backends).");
}

/// <summary>
/// The backend kinds as <c>GET /api/backends</c> lists them, read from this server's own OpenAPI
/// document (each kind's member of the <c>BackendOptions</c> union): an option's type, whether it is
/// required, its default and its values are the document's, so the two cannot disagree.
/// </summary>
internal sealed class BackendCatalog(ISwaggerProvider swagger, BackendRegistry backends)
{
    private readonly Lazy<IReadOnlyList<BackendKindResponse>> _kinds = new(() => Describe(swagger.GetSwagger(OpenApiSetup.DocumentName), backends));

    public IReadOnlyList<BackendKindResponse> Kinds => _kinds.Value;

    private static List<BackendKindResponse> Describe(OpenApiDocument document, BackendRegistry backends)
    {
        var schemas = document.Components!.Schemas!;
        var mapping = schemas[BackendUnionDocumentFilter.UnionName].Discriminator!.Mapping!;
        return backends.Kinds.Select(kind =>
        {
            var schema = schemas[mapping[kind.Name].Reference.Id!];
            var options = (schema.Properties ?? new Dictionary<string, IOpenApiSchema>())
                .Where(p => p.Key != "type")
                .Select(p => Option(p.Key, p.Value, schema.Required?.Contains(p.Key) == true, schemas))
                .ToList();
            return new BackendKindResponse(kind.Name, kind.Description, kind.Aliases, options, kind.CanPace);
        }).ToList();
    }

    private static BackendOptionResponse Option(string name, IOpenApiSchema property, bool required, IDictionary<string, IOpenApiSchema> schemas)
    {
        // An object option refers to its component, directly or as the one member of a nullable oneOf.
        var component = property switch
        {
            OpenApiSchemaReference reference => reference.Reference.Id,
            { OneOf: [OpenApiSchemaReference only] } => only.Reference.Id,
            _ => null,
        };
        var schema = property is OpenApiSchemaReference && component is not null ? schemas[component] : property;
        return new BackendOptionResponse(
            name,
            TypeOf(schema),
            required,
            schema.Default?.DeepClone(),
            (property as OpenApiSchemaReference)?.Reference.Description ?? schema.Description,
            schema.Enum?.Select(v => v is JsonValue value && value.TryGetValue<string>(out var text) ? text : v.ToJsonString()).ToList(),
            schema.Items is { } items ? TypeOf(items) : null,
            component);
    }

    /// <summary>The JSON type: <c>string</c>, <c>integer</c>, <c>number</c>, <c>boolean</c>, <c>array</c> or <c>object</c>.</summary>
    private static string TypeOf(IOpenApiSchema schema) => (schema.Type & ~JsonSchemaType.Null) switch
    {
        JsonSchemaType.String => "string",
        JsonSchemaType.Integer => "integer",
        JsonSchemaType.Number => "number",
        JsonSchemaType.Boolean => "boolean",
        JsonSchemaType.Array => "array",
        JsonSchemaType.Object => "object",
        null when schema.OneOf is { Count: > 0 } => "object",
        var other => throw new InvalidOperationException($"a backend option of type {other} has no JSON type name"),
    };
}
