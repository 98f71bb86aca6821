namespace CharWeb.Engine;

/// <summary>One thing wrong with a request: the field (camelCase, dotted) and why.</summary>
public sealed record FieldError(string Field, string Message);
