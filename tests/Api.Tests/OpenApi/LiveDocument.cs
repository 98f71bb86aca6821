using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests.OpenApi;

/// <summary>The OpenAPI document a running server serves, read as plain JSON.</summary>
public sealed class LiveDocument(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public JsonObject Schemas => Root["components"]!["schemas"]!.AsObject();

    public static async Task<LiveDocument> FetchAsync(CharWebServer server) =>
        new((await server.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json", CharWebServer.Timeout()))!);

    public JsonObject Schema(string name) =>
        Schemas[name]?.AsObject() ?? throw new InvalidOperationException($"the document has no schema {name}");

    public JsonObject Operation(string path, string method) => Root["paths"]![path]![method]!.AsObject();

    /// <summary>The schema a property stands for: itself, its <c>$ref</c>, or the one member of a nullable <c>oneOf</c>.</summary>
    public JsonObject Target(JsonNode property) => ReferenceOf(property) is { } name ? Schema(name) : property.AsObject();

    /// <summary>The component a property refers to, directly or as the one member of a nullable <c>oneOf</c>.</summary>
    public static string? ReferenceOf(JsonNode property) => property switch
    {
        JsonObject o when o["$ref"] is { } reference => Name(reference),
        JsonObject o when o["oneOf"] is JsonArray { Count: 1 } only && only[0]!["$ref"] is { } reference => Name(reference),
        _ => null,
    };

    /// <summary>The component a <c>$ref</c> names.</summary>
    public static string Name(JsonNode reference) => reference.GetValue<string>().Split('/')[^1];

    public static HashSet<string> Names(JsonNode? array) =>
        array?.AsArray().Select(n => n!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) ?? [];

    public static List<string> Keys(JsonNode? json) =>
        json?.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList() ?? [];

    /// <summary>An answer of schema <paramref name="name"/> carries every property the schema has, and the schema requires them all.</summary>
    public void AssertAnsweredWhole(string name, JsonNode? answer)
    {
        var schema = Schema(name);
        Assert.Equal(Keys(schema["properties"]), Names(schema["required"]).Order(StringComparer.Ordinal));
        Assert.Equal(Keys(schema["properties"]), Keys(answer));
    }
}
