using System.Text.Json.Nodes;
using CharWeb.Engine.Backends;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// A socket's <c>addr</c> is QAPI's <c>SocketAddress</c> union: <c>InetSocketAddress</c> or
/// <c>UnixSocketAddress</c>, chosen by <c>type</c>. The engine reads both into one
/// <see cref="SocketAddressOptions"/> and answers all of its fields, so each member also lists the
/// other kind's fields as unused (null unless sent): the wire format is the engine's, unchanged.
/// </summary>
internal sealed class SocketAddressDocumentFilter : IDocumentFilter
{
    public const string UnionName = "SocketAddress";
    private const string InetName = "InetSocketAddress";
    private const string UnixName = "UnixSocketAddress";

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        if (document.Components?.Schemas is not { } schemas
            || !context.SchemaRepository.TryLookupByType(typeof(SocketAddressOptions), out var generated)
            || schemas[generated.Reference.Id!] is not OpenApiSchema { Properties: { } fields } engine)
        {
            return;
        }

        schemas.Remove(generated.Reference.Id!);
        schemas[InetName] = Member("inet", "A TCP address (QAPI `InetSocketAddress`).", fields, ["host", "port"], ["path"]);
        schemas[UnixName] = Member("unix", "A Unix domain socket (QAPI `UnixSocketAddress`).", fields, ["path"], ["host", "port"]);
        schemas[UnionName] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = engine.Description,
            OneOf = [new OpenApiSchemaReference(InetName, document), new OpenApiSchemaReference(UnixName, document)],
            Discriminator = new OpenApiDiscriminator
            {
                PropertyName = "type",
                Mapping = new Dictionary<string, OpenApiSchemaReference>
                {
                    ["inet"] = new(InetName, document),
                    ["unix"] = new(UnixName, document),
                },
            },
        };
        SchemaTree.Rewrite(document, schema => schema is OpenApiSchemaReference r && r.Reference.Id == generated.Reference.Id
            ? new OpenApiSchemaReference(UnionName, document) { Description = r.Reference.Description }
            : schema);
    }

    private static OpenApiSchema Member(string type, string description, IDictionary<string, IOpenApiSchema> fields, string[] used, string[] unused)
    {
        var properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(type)], Description = "The address kind." },
        };
        foreach (var name in used)
        {
            var field = (OpenApiSchema)fields[name].CreateShallowCopy();
            field.Type &= ~JsonSchemaType.Null;
            if (field.Type == JsonSchemaType.String)
            {
                field.MinLength = 1;
            }

            properties[name] = field;
        }

        foreach (var name in unused)
        {
            var field = (OpenApiSchema)fields[name].CreateShallowCopy();
            field.Type |= JsonSchemaType.Null;
            (field.Minimum, field.Maximum) = (null, null);
            field.Description = $"Not used for {(type == "inet" ? "an" : "a")} {type} address; answered as sent (null when not sent).";
            properties[name] = field;
        }

        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = description,
            Properties = properties,
            Required = new HashSet<string>(used.Prepend("type"), StringComparer.Ordinal),
            AdditionalPropertiesAllowed = false,
        };
    }
}
