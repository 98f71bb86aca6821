using Microsoft.OpenApi;

namespace CharWeb.Api.OpenApi;

/// <summary>Walks the schemas of a document: every component, and every body and parameter of every operation.</summary>
internal static class SchemaTree
{
    /// <summary>The schemas directly inside <paramref name="schema"/>: properties, items, map values and union members.</summary>
    public static IEnumerable<IOpenApiSchema> Children(IOpenApiSchema schema) =>
        (schema.Properties?.Values ?? [])
            .Concat(schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Concat(schema.AllOf ?? [])
            .Concat(new[] { schema.Items, schema.AdditionalProperties }.OfType<IOpenApiSchema>());

    /// <summary>Replaces, depth first, each schema inside a component or an operation with what <paramref name="map"/> makes of it.</summary>
    public static void Rewrite(OpenApiDocument document, Func<IOpenApiSchema, IOpenApiSchema> map)
    {
        if (document.Components?.Schemas is { } schemas)
        {
            foreach (var schema in schemas.Values.ToList())
            {
                RewriteInside(schema, map);
            }
        }

        foreach (var media in Operations(document).SelectMany(o => Media(o, requests: true).Concat(Media(o, requests: false))))
        {
            if (media.Schema is not null)
            {
                media.Schema = Rewrite(media.Schema, map);
            }
        }
    }

    /// <summary>The component ids that the schemas reach, through references at any depth.</summary>
    public static HashSet<string> Reached(OpenApiDocument document, IEnumerable<IOpenApiSchema> roots)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<IOpenApiSchema>(roots);
        while (pending.TryPop(out var schema))
        {
            if (schema is OpenApiSchemaReference reference)
            {
                if (reference.Reference.Id is { } id && reached.Add(id) && document.Components?.Schemas?.TryGetValue(id, out var target) == true)
                {
                    pending.Push(target);
                }

                continue;
            }

            foreach (var child in Children(schema))
            {
                pending.Push(child);
            }
        }

        return reached;
    }

    public static IEnumerable<OpenApiOperation> Operations(OpenApiDocument document) =>
        document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []);

    /// <summary>What a caller sends (request bodies and parameters), or what the server answers.</summary>
    public static IEnumerable<IOpenApiSchema> Schemas(OpenApiOperation operation, bool requests) =>
        Media(operation, requests).Select(m => m.Schema)
            .Concat(requests ? (operation.Parameters ?? []).Select(p => p.Schema) : [])
            .OfType<IOpenApiSchema>();

    private static IEnumerable<OpenApiMediaType> Media(OpenApiOperation operation, bool requests) =>
        (requests ? operation.RequestBody?.Content?.Values ?? [] : (operation.Responses?.Values.AsEnumerable() ?? []).SelectMany(r => r.Content?.Values ?? []))
            .OfType<OpenApiMediaType>();

    private static IOpenApiSchema Rewrite(IOpenApiSchema schema, Func<IOpenApiSchema, IOpenApiSchema> map)
    {
        RewriteInside(schema, map);
        return map(schema);
    }

    private static void RewriteInside(IOpenApiSchema schema, Func<IOpenApiSchema, IOpenApiSchema> map)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        foreach (var (key, value) in concrete.Properties?.ToList() ?? [])
        {
            concrete.Properties![key] = Rewrite(value, map);
        }

        foreach (var list in new[] { concrete.OneOf, concrete.AnyOf, concrete.AllOf }.OfType<IList<IOpenApiSchema>>())
        {
            for (var i = 0; i < list.Count; i++)
            {
                list[i] = Rewrite(list[i], map);
            }
        }

        if (concrete.Items is not null)
        {
            concrete.Items = Rewrite(concrete.Items, map);
        }

        if (concrete.AdditionalProperties is not null)
        {
            concrete.AdditionalProperties = Rewrite(concrete.AdditionalProperties, map);
        }
    }
}
