using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// A property of a nullable object type that is not <c>[Required]</c> may be null on the wire
/// (a chardev's <c>access</c>, a udp <c>local</c>): OpenAPI 3.0 cannot say so beside a <c>$ref</c>, so it
/// becomes <c>type: object, nullable: true, oneOf: [$ref]</c> (the form generators read as the referenced type, or null).
/// </summary>
internal sealed class NullableReferenceSchemaFilter : ISchemaFilter
{
    private static readonly NullabilityInfoContext Nullability = new();

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema { Properties: { } properties })
        {
            return;
        }

        foreach (var property in context.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (properties.TryGetValue(name, out var value) && value is OpenApiSchemaReference reference
                && property.GetCustomAttribute<RequiredAttribute>() is null
                && Nullability.Create(property).ReadState == NullabilityState.Nullable)
            {
                properties[name] = new OpenApiSchema { OneOf = [reference], Type = JsonSchemaType.Object | JsonSchemaType.Null, Description = reference.Description };
            }
        }
    }
}
