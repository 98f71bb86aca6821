using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// The engine's data annotations as the wire sees them, the same rules that
/// <see cref="Engine.BackendKind.Validate"/> enforces: an option limited by <c>[AllowedValues]</c>
/// (serial <c>parity</c>) is an <c>enum</c>; a <c>[Required]</c> option with a default (parallel
/// <c>path</c>) may be left out, since the default fills it, so only its <c>minLength</c> stays.
/// </summary>
internal sealed class AnnotationSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        if (context.MemberInfo?.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed)
        {
            concrete.Enum = allowed.Values.Select(v => JsonSerializer.SerializeToNode(v)).OfType<JsonNode>().ToList();
        }

        if (concrete is { Required.Count: > 0, Properties: { } properties })
        {
            concrete.Required.ExceptWith(properties.Where(p => p.Value.Default is not null).Select(p => p.Key));
        }
    }
}
