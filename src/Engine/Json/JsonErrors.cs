using System.Text.Json;
using System.Text.RegularExpressions;

namespace CharWeb.Engine.Json;

/// <summary>Turns System.Text.Json errors into a field name and a plain reason.</summary>
public static partial class JsonErrors
{
    /// <summary><c>$.backend.size</c> → <c>backend.size</c>; <c>$['odd key']</c> → <c>odd key</c>.</summary>
    public static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal).TrimStart('.');
    }

    /// <summary>The reason without System.Text.Json's " Path: ... | LineNumber: ..." suffix.</summary>
    public static string MessageOf(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut >= 0)
        {
            message = message[..cut];
        }

        cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        message = cut >= 0 ? message[..cut].TrimEnd(' ', '|') : message;
        if (Unmapped().IsMatch(message))
        {
            return "is not a known option here";
        }

        return Conversion().Match(message) is { Success: true } m ? $"must be {Expected(m.Groups["type"].Value)}" : message;
    }

    private static string Expected(string clrType) => clrType switch
    {
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "an integer",
        "System.Boolean" => "true or false",
        "System.String" => "a string",
        _ when typeof(JsonErrors).Assembly.GetType(clrType) is { IsEnum: true } e => "one of: " + string.Join(", ", Enum.GetNames(e).Select(n => JsonNamingPolicy.CamelCase.ConvertName(n))),
        _ => "of type " + clrType[(clrType.LastIndexOf('.') + 1)..],
    };

    [GeneratedRegex("^The JSON property '.*' could not be mapped to any \\.NET member")]
    private static partial Regex Unmapped();

    [GeneratedRegex("could not be converted to (?<type>[^ ]+?)\\.?$")]
    private static partial Regex Conversion();

    /// <summary>The field of a whole-document error: the outer path plus a backend-relative field.</summary>
    public static string FieldOf(JsonException ex)
    {
        var outer = FieldOf(ex.Path);
        if (ex is BackendJsonException backend)
        {
            return outer.Length == 0 ? backend.Field : $"{outer}.{backend.Field}";
        }

        return outer;
    }
}
