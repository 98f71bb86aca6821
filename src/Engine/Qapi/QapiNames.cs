using System.Text.Json.Nodes;

namespace CharWeb.Engine.Qapi;

/// <summary>QAPI's names for what a kind calls otherwise, for the kinds' <c>fromQapi</c> steps.</summary>
internal static class QapiNames
{
    /// <summary>Moves member <paramref name="from"/> to <paramref name="to"/> (ChardevHostdev's <c>device</c> is CharWeb's <c>path</c>).</summary>
    public static void Rename(JsonObject data, string from, string to)
    {
        if (data.Remove(from, out var value))
        {
            data[to] = value;
        }
    }

    /// <summary>
    /// A SocketAddressLegacy CharWeb takes as an inet host and port only (udp's <c>remote</c> and <c>local</c>):
    /// its <c>type</c>, flattened in by <see cref="QapiBackend"/>, must be <c>inet</c> and then goes.
    /// </summary>
    public static void InetOnly(JsonObject data, string member)
    {
        if (data[member] is not JsonObject address || !address.ContainsKey("type"))
        {
            return;
        }

        if (address["type"] is not JsonValue v || !v.TryGetValue<string>(out var type) || type != "inet")
        {
            throw new QapiException($"Parameter 'backend.data.{member}.type' does not accept value '{address["type"]?.ToJsonString()}': a udp chardev takes an inet address");
        }

        address.Remove("type");
    }
}
