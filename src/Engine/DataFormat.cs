namespace CharWeb.Engine;

/// <summary>How bytes travel in JSON, as QAPI's <c>DataFormat</c>: UTF-8 text or base64.</summary>
#pragma warning disable IDE1006 // QAPI spells them in lower case, and query strings must match them exactly.
public enum DataFormat
{
    utf8,
    base64,
}
#pragma warning restore IDE1006
