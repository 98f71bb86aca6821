using System.Text.Json.Nodes;
using CharWeb.Engine;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// Makes each backend's schema say its own <c>type</c>: a required string whose only value is the
/// kind's name, so generated clients get one class per backend that serialises its discriminator.
/// </summary>
internal sealed class BackendUnionSchemaFilter(BackendRegistry backends) : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete || backends.KindOf(context.Type) is not { } kind)
        {
            return;
        }

        concrete.Properties ??= new Dictionary<string, IOpenApiSchema>();
        concrete.Properties["type"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Enum = [JsonValue.Create(kind.Name)!],
            Default = JsonValue.Create(kind.Name),
            Description = "The backend kind.",
        };
        concrete.Required ??= new HashSet<string>();
        concrete.Required.Add("type");
        concrete.Description ??= kind.Description;
    }
}
