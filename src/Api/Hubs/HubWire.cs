using System.Text.Json;
using CharWeb.Engine;

namespace CharWeb.Api.Hubs;

/// <summary>
/// What the hub sends besides output bytes, as plain camelCase maps, so the JSON and the
/// MessagePack protocols carry the same names.
/// </summary>
internal static class HubWire
{
    public static Dictionary<string, object?> Event(ChardevEvent e)
    {
        var wire = new Dictionary<string, object?>
        {
            ["kind"] = Name(e.Kind),
            ["time"] = e.Time.ToString("O"),
        };
        Add(wire, "consoles", e.Consoles);
        Add(wire, "reason", e.Reason);
        Add(wire, "bytes", e.Bytes);
        Add(wire, "total", e.Total);
        Add(wire, "exitCode", e.ExitCode);
        Add(wire, "state", e.State is { } s ? Name(s) : null);
        if (e.Kind == ChardevEventKind.Writer)
        {
            // Present even when nobody holds the seat, so a client can tell "free" from "not said".
            wire["name"] = e.Name;
            wire["self"] = e.Self ?? false;
        }
        return wire;
    }

    /// <param name="chardev">The chardev.</param>
    /// <param name="role">The watcher's role on it, so the page knows whether it may type before it tries.</param>
    /// <param name="node">This node's name in a cluster; on a single node there is no <c>node</c> key.</param>
    public static Dictionary<string, object?> Summary(Chardev chardev, Access.Role? role, string? node)
    {
        var stats = chardev.Stats;
        var wire = new Dictionary<string, object?>
        {
            ["id"] = chardev.Id,
            ["type"] = chardev.Definition.Backend!.Type,
            ["filename"] = chardev.Filename,
            ["state"] = Name(chardev.State),
            ["connected"] = chardev.Connected,
            ["consoles"] = chardev.Consoles.Length,
            ["history"] = chardev.Definition.History,
            ["logfile"] = chardev.Definition.Logfile is not null,
            ["record"] = chardev.Definition.Record,
            ["ptyPath"] = chardev.PtyPath,
            ["lastError"] = chardev.LastError,
            ["writers"] = Name(chardev.Definition.Writers),
            ["writer"] = chardev.Writer,
            ["role"] = role is { } r ? Access.Identity.Name(r) : null,
            ["outputBytes"] = stats.OutputBytes,
            ["outputDropped"] = stats.OutputDropped,
            ["inputBytes"] = stats.InputBytes,
            ["inputDropped"] = stats.InputDropped,
        };
        Add(wire, "node", node);
        return wire;
    }

    /// <summary>Another node's chardev as the directory lists it, in the same shape as this node's own.</summary>
    public static Dictionary<string, object?> Summary(Endpoints.ChardevResponse chardev, Access.Role? role) => new()
    {
        ["id"] = chardev.Id,
        ["type"] = chardev.Backend.Type,
        ["filename"] = chardev.Filename,
        ["state"] = Name(chardev.State),
        ["connected"] = chardev.Connected,
        ["consoles"] = chardev.Consoles,
        ["history"] = chardev.History,
        ["logfile"] = chardev.Logfile is not null,
        ["record"] = chardev.Record,
        ["ptyPath"] = chardev.PtyPath,
        ["lastError"] = chardev.LastError,
        ["writers"] = Name(chardev.Writers),
        ["writer"] = chardev.Writer,
        ["role"] = role is { } r ? Access.Identity.Name(r) : null,
        ["outputBytes"] = chardev.Stats.OutputBytes,
        ["outputDropped"] = chardev.Stats.OutputDropped,
        ["inputBytes"] = chardev.Stats.InputBytes,
        ["inputDropped"] = chardev.Stats.InputDropped,
        ["node"] = chardev.Node,
    };

    private static string Name<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    private static void Add(Dictionary<string, object?> wire, string key, object? value)
    {
        if (value is not null)
        {
            wire[key] = value;
        }
    }
}
