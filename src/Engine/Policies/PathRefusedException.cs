namespace CharWeb.Engine;

/// <summary>A path that the sandbox refuses when it is opened: a link on the way, an alias of the database, the wrong kind of file.</summary>
public sealed class PathRefusedException(string message) : IOException(message);
