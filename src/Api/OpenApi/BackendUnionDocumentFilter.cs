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
    public const string UnionName = nameof(BackendOptions);

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
        SchemaTree.Rewrite(document, schema => IsUnionOfKinds(schema, memberIds) ? new OpenApiSchemaReference(UnionName, document) : schema);
    }

    /// <summary>An inline <c>oneOf</c> of exactly the backend kinds, which becomes a reference to the union.</summary>
    private static bool IsUnionOfKinds(IOpenApiSchema schema, HashSet<string> memberIds) =>
        schema is OpenApiSchema { OneOf: { Count: > 0 } oneOf }
        && oneOf.All(s => s is OpenApiSchemaReference)
        && oneOf.Select(s => ((OpenApiSchemaReference)s).Reference.Id).ToHashSet().SetEquals(memberIds);
}
