namespace CharWeb.Engine;

/// <summary>Where a chardev's definition comes from.</summary>
public enum ChardevSource
{
    /// <summary>Created through REST or QMP; kept in the database.</summary>
    Api,
    /// <summary>Declared in configuration (<c>CharWeb:Chardevs</c>); comes back from there at start.</summary>
    Config,
}
