using System.Text.Json;
using System.Text.Json.Serialization;

namespace CharWeb.Engine.Json;

/// <summary>A JSON error inside backend options, naming the field relative to the options object.</summary>
public sealed class BackendJsonException(string field, string message, Exception? inner = null) : JsonException(message, inner)
{
    /// <summary>The field inside the backend options, e.g. <c>size</c> or <c>type</c>.</summary>
    public string Field { get; } = field;
}

/// <summary>
/// Reads the backend union by its <c>type</c> (anywhere in the object, so generated clients that
/// order properties alphabetically work) and writes the concrete options with <c>type</c> first.
/// </summary>
public sealed class BackendOptionsConverter(BackendRegistry registry) : JsonConverter<BackendOptions>
{
    public override BackendOptions? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new BackendJsonException("type", $"backend must be an object with a 'type' (one of: {registry.KnownNames})");
        }

        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw new BackendJsonException("type", $"is required and must be a string, one of: {registry.KnownNames}");
        }

        var name = type.GetString()!;
        if (!registry.TryGet(name, out var kind))
        {
            throw new BackendJsonException("type", registry.WhyUnsupported(name) ?? $"unknown backend type '{name}'; known types: {registry.KnownNames}");
        }

        try
        {
            return (BackendOptions?)root.Deserialize(kind.OptionsType, options);
        }
        catch (JsonException ex)
        {
            throw new BackendJsonException(JsonErrors.FieldOf(ex.Path), JsonErrors.MessageOf(ex), ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, BackendOptions value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, value.GetType(), options);
}
