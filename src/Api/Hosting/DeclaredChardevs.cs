using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharWeb.Engine;
using CharWeb.Engine.Json;

namespace CharWeb.Api.Hosting;

/// <summary>
/// Chardevs declared in configuration (<c>CharWeb:Chardevs</c>, a list of definitions as in
/// <c>POST /api/chardevs</c>). Configuration holds only strings, so values are typed back here.
/// </summary>
internal static class DeclaredChardevs
{
    public static IReadOnlyList<ChardevDefinition> Read(IConfigurationSection section, BackendRegistry backends)
    {
        var json = EngineJson.Create(backends);
        var result = new List<ChardevDefinition>();
        foreach (var child in section.GetChildren())
        {
            try
            {
                result.Add(ToNode(child)!.Deserialize<ChardevDefinition>(json)!);
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"{child.Path}: {JsonErrors.FieldOf(ex)}: {JsonErrors.MessageOf(ex)}", ex);
            }
        }

        return result;
    }

    private static JsonNode? ToNode(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return section.Value switch
            {
                null => null,
                "true" or "True" => JsonValue.Create(true),
                "false" or "False" => JsonValue.Create(false),
                var v when long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
                var v => JsonValue.Create(v),
            };
        }

        if (children.All(c => int.TryParse(c.Key, out _)))
        {
            return new JsonArray(children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(ToNode).ToArray());
        }

        var obj = new JsonObject();
        foreach (var child in children)
        {
            obj[JsonNamingPolicy.CamelCase.ConvertName(child.Key)] = ToNode(child);
        }

        return obj;
    }
}
