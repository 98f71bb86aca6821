using System.Text;

namespace CharWeb.Engine;

/// <summary>How bytes travel in JSON, as QAPI's <c>DataFormat</c>: UTF-8 text or base64.</summary>
#pragma warning disable IDE1006 // QAPI spells them in lower case, and query strings must match them exactly.
public enum DataFormat
{
    utf8,
    base64,
}
#pragma warning restore IDE1006

/// <summary>Bytes to and from JSON text in a <see cref="DataFormat"/>, for REST and QMP alike.</summary>
public static class DataFormats
{
    public static string Encode(this DataFormat format, byte[] bytes) =>
        format == DataFormat.base64 ? Convert.ToBase64String(bytes) : Encoding.UTF8.GetString(bytes);

    /// <summary>The bytes of <paramref name="data"/>; throws <see cref="FormatException"/> for bad base64.</summary>
    public static byte[] Decode(this DataFormat format, string data) =>
        format == DataFormat.base64 ? Convert.FromBase64String(data) : Encoding.UTF8.GetBytes(data);
}
