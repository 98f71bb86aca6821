using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// What the server answers, it answers whole: System.Text.Json writes every property of a response
/// record (null ones as null; none of them is <c>[JsonIgnore]</c>d when null), so every property of a
/// schema that only responses use is <c>required</c>, and a typed client needs no "unset" checks for
/// <c>state</c>, <c>connected</c> or a <c>stats</c> counter. Schemas that requests use too (a backend's
/// options, where defaults may be left out) keep what the request requires.
/// </summary>
internal sealed class ResponseFieldsDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var operations = SchemaTree.Operations(document).ToList();
        var answered = SchemaTree.Reached(document, operations.SelectMany(o => SchemaTree.Schemas(o, requests: false)));
        var sent = SchemaTree.Reached(document, operations.SelectMany(o => SchemaTree.Schemas(o, requests: true)));
        foreach (var id in answered.Except(sent))
        {
            if (document.Components!.Schemas![id] is OpenApiSchema { Properties.Count: > 0 } schema)
            {
                schema.Required = new SortedSet<string>(schema.Properties.Keys, StringComparer.Ordinal);
            }
        }
    }
}
