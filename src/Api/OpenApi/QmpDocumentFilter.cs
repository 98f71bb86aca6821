using System.Text.Json.Nodes;
using CharWeb.Api.Qmp;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// <c>POST /api/qmp</c> in QMP's own JSON: a command (<c>execute</c> one of the commands served,
/// <c>arguments</c> free-form QAPI, <c>id</c> any value) and an answer with <c>return</c> (any value) or
/// <c>error</c> (<c>class</c>, <c>desc</c>), always HTTP 200, as a QMP socket answers.
/// </summary>
internal sealed class QmpDocumentFilter : IDocumentFilter
{
    private const string CommandName = "QmpCommand";
    private const string ResponseName = "QmpResponse";
    private const string ErrorName = "QmpError";

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var operation = SchemaTree.Operations(document).FirstOrDefault(o => o.OperationId == QmpEndpoint.OperationId);
        if (Json(operation?.RequestBody?.Content) is not { } request
            || operation!.Responses?.GetValueOrDefault("200") is not OpenApiResponse answer
            || Json(answer.Content) is not { } response)
        {
            return;
        }

        var schemas = document.Components!.Schemas!;
        schemas[CommandName] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "A QMP command as QEMU's monitor takes it: `{\"execute\": \"chardev-add\", \"arguments\": {...}, \"id\": ...}`. Other members are ignored.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["execute"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = QmpEndpoint.CommandNames.Select(n => (JsonNode)JsonValue.Create(n)).ToList(), Description = "The command." },
                ["arguments"] = Nullable(OpenApiSetup.FreeForm("The command's arguments, QAPI JSON as QEMU documents them, e.g. for chardev-add `{\"id\": \"vm1\", \"backend\": {\"type\": \"ringbuf\", \"data\": {\"size\": 4096}}}`.")),
                ["id"] = new OpenApiSchema { Description = "Any JSON value; the answer carries it back." },
            },
            Required = new SortedSet<string>(["execute"], StringComparer.Ordinal),
        };
        schemas[ErrorName] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "A QMP error.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["class"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "QEMU's error class: `GenericError`, `CommandNotFound` or `DeviceNotFound`." },
                ["desc"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong, in QEMU's words." },
            },
            Required = new SortedSet<string>(["class", "desc"], StringComparer.Ordinal),
            AdditionalPropertiesAllowed = false,
        };
        schemas[ResponseName] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "QMP's answer: `return` when the command succeeded, `error` when it failed (never both), and the command's `id` when it had one.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["return"] = new OpenApiSchema { Description = "The command's result, any JSON value: `{}` for most, an array for query-chardev, query-chardev-backends and query-commands, a string for ringbuf-read." },
                ["error"] = new OpenApiSchemaReference(ErrorName, document),
                ["id"] = new OpenApiSchema { Description = "The command's `id`, as sent." },
            },
            AdditionalPropertiesAllowed = false,
        };
        request.Schema = new OpenApiSchemaReference(CommandName, document);
        response.Schema = new OpenApiSchemaReference(ResponseName, document);
        answer.Description = "The QMP answer, for a failed command too.";
    }

    private static OpenApiSchema Nullable(OpenApiSchema schema)
    {
        schema.Type |= JsonSchemaType.Null;
        return schema;
    }

    private static OpenApiMediaType? Json(IDictionary<string, OpenApiMediaType>? content) =>
        content?.TryGetValue("application/json", out var media) == true ? media : null;
}
