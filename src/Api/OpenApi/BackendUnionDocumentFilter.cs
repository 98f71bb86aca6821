using CharWeb.Engine;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// Gives the backend union one name: <c>BackendOptions</c> is a <c>oneOf</c> of every kind with a
/// <c>type</c> discriminator and mapping, each kind's schema stands alone, and every place that
/// takes a backend refers to the union, so generators make one union and one class per kind.
/// </summary>
internal sealed class BackendUnionDocumentFilter(BackendRegistry backends) : IDocumentFilter
{
    private const string UnionName = nameof(BackendOptions);

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var schemas = document.Components?.Schemas;
        if (schemas is null)
        {
            return;
        }

        var members = backends.Kinds.ToDictionary(k => k.Name, k => context.SchemaGenerator.GenerateSchema(k.OptionsType, context.SchemaRepository) is OpenApiSchemaReference r ? r.Reference.Id! : k.OptionsType.Name);
        foreach (var id in members.Values)
        {
            if (schemas.TryGetValue(id, out var member) && member is OpenApiSchema concrete)
            {
                concrete.AllOf = null;
            }
        }

        schemas[UnionName] = new OpenApiSchema
        {
            Description = "The device side of a chardev: one backend kind, chosen by `type`.",
            OneOf = members.Values.Select(id => (IOpenApiSchema)new OpenApiSchemaReference(id, document)).ToList(),
            Discriminator = new OpenApiDiscriminator
            {
                PropertyName = "type",
                Mapping = members.ToDictionary(m => m.Key, m => new OpenApiSchemaReference(m.Value, document)),
            },
        };

        var memberIds = members.Values.ToHashSet();
        foreach (var (name, schema) in schemas.ToList())
        {
            if (name != UnionName)
            {
                schemas[name] = Rewrite(schema, memberIds, document);
            }
        }

        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            foreach (var media in operation.RequestBody?.Content?.Values ?? [])
            {
                if (media is OpenApiMediaType m && m.Schema is not null)
                {
                    m.Schema = Rewrite(m.Schema, memberIds, document);
                }
            }
        }
    }

    /// <summary>An inline <c>oneOf</c> of exactly the backend kinds becomes a reference to the union.</summary>
    private static IOpenApiSchema Rewrite(IOpenApiSchema schema, HashSet<string> memberIds, OpenApiDocument document)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return schema;
        }

        if (concrete.OneOf is { Count: > 0 } oneOf
            && oneOf.All(s => s is OpenApiSchemaReference)
            && oneOf.Select(s => ((OpenApiSchemaReference)s).Reference.Id).ToHashSet().SetEquals(memberIds))
        {
            return new OpenApiSchemaReference(UnionName, document);
        }

        if (concrete.Properties is { } properties)
        {
            foreach (var (key, value) in properties.ToList())
            {
                properties[key] = Rewrite(value, memberIds, document);
            }
        }

        if (concrete.Items is not null)
        {
            concrete.Items = Rewrite(concrete.Items, memberIds, document);
        }

        return concrete;
    }
}
