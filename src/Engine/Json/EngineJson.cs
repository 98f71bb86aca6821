using System.Text.Json;
using System.Text.Json.Serialization;

namespace CharWeb.Engine.Json;

/// <summary>The one JSON shape of CharWeb: camelCase, enums as camelCase strings, the backend union, unknown fields refused.</summary>
public static class EngineJson
{
    public static JsonSerializerOptions Create(BackendRegistry registry)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options, registry);
        return options;
    }

    public static void Configure(JsonSerializerOptions options, BackendRegistry registry)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.Converters.Add(new BackendOptionsConverter(registry));
        // QEMU refuses options it does not know; a typo must not pass silently.
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
    }
}
