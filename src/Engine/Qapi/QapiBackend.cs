using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CharWeb.Engine.Qapi;

/// <summary>
/// QEMU's QAPI <c>ChardevBackend</c> (<c>{"type": "socket", "data": {...}}</c>) in CharWeb's terms:
/// kebab-case names become camelCase, <c>{type, data}</c> unions (SocketAddressLegacy) are
/// flattened, the one number QAPI sends as a string (InetSocketAddress's <c>port</c>) becomes a number, ChardevCommon's
/// <c>logfile</c>/<c>logappend</c> move to the chardev, and each kind renames what it must.
/// </summary>
public static class QapiBackend
{
    /// <summary>The chardev definition for <c>chardev-add id backend</c>.</summary>
    public static ChardevDefinition ToDefinition(string id, JsonObject backend, BackendRegistry backends, JsonSerializerOptions json)
    {
        var (options, logfile, logappend) = Convert(backend, backends, json);
        return new ChardevDefinition { Id = id, Backend = options, Logfile = logfile, Logappend = logappend };
    }

    public static (BackendOptions Options, string? Logfile, bool Logappend) Convert(JsonObject backend, BackendRegistry backends, JsonSerializerOptions json)
    {
        var type = backend["type"] switch
        {
            null => throw new QapiException("Parameter 'backend.type' is missing"),
            JsonValue v when v.TryGetValue<string>(out var name) => name,
            _ => throw new QapiException("Invalid parameter type for 'backend.type', expected: string"),
        };
        if (!backends.TryGet(type, out var kind))
        {
            throw new QapiException(backends.WhyUnsupported(type) ?? $"Parameter 'backend.type' does not accept value '{type}'");
        }

        var data = backend["data"] is JsonObject given ? (JsonObject)Camel(given)! : [];
        var logfile = data.Remove("logfile", out var log) ? Typed<string>(log, "logfile", "string") : null;
        var logappend = data.Remove("logappend", out var append) && Typed<bool>(append, "logappend", "boolean");
        kind.FromQapi(data);
        data["type"] = kind.Name;
        try
        {
            return (data.Deserialize<BackendOptions>(json)!, logfile, logappend);
        }
        catch (JsonException ex)
        {
            throw new QapiException($"Parameter 'backend.data.{Json.JsonErrors.FieldOf(ex)}' {Json.JsonErrors.MessageOf(ex)}");
        }
    }

    private static T? Typed<T>(JsonNode? node, string name, string expected) =>
        node switch
        {
            null => default,
            JsonValue v when v.TryGetValue<T>(out var value) => value,
            _ => throw new QapiException($"Invalid parameter type for 'backend.data.{name}', expected: {expected}"),
        };

    private static JsonNode? Camel(JsonNode? node) => node switch
    {
        // A QAPI union {type, data} becomes one object: SocketAddressLegacy {type: inet, data: {host, port}}.
        JsonObject o when o.Count == 2 && o["type"] is JsonValue && o["data"] is JsonObject inner =>
            new JsonObject(inner.Select(Member).Prepend(KeyValuePair.Create("type", (JsonNode?)o["type"]!.DeepClone()))),
        JsonObject o => new JsonObject(o.Select(Member)),
        _ => node?.DeepClone(),
    };

    // Only a port is a number in a string: a path, a host or a name made of digits stays the string it is.
    private static KeyValuePair<string, JsonNode?> Member(KeyValuePair<string, JsonNode?> member) =>
        KeyValuePair.Create(CamelName(member.Key), member.Key == "port" && member.Value is JsonValue v && v.TryGetValue<string>(out var s)
            && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && s == n.ToString(CultureInfo.InvariantCulture)
            ? JsonValue.Create(n)
            : Camel(member.Value?.DeepClone()));

    private static string CamelName(string kebab)
    {
        var parts = kebab.Split('-');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }
}

/// <summary>A QMP <c>GenericError</c>, with QEMU's wording where there is one.</summary>
public sealed class QapiException(string message, string errorClass = "GenericError") : Exception(message)
{
    public string ErrorClass { get; } = errorClass;
}
