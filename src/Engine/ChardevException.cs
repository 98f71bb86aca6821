namespace CharWeb.Engine;

/// <summary>Why a chardev operation was refused; the Api maps each to one problem type.</summary>
public enum ChardevErrorKind
{
    Invalid,
    NotFound,
    Conflict,
    OpenFailed,
    TooLarge,
    Unsupported,

    /// <summary>A limit of the server (<c>CharWeb:Limits</c>) is reached.</summary>
    Limit,
}

/// <summary>A refused chardev operation, with every field error found at once.</summary>
public sealed class ChardevException : Exception
{
    public ChardevException(ChardevErrorKind kind, string message, IReadOnlyList<FieldError>? errors = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Errors = errors ?? [];
    }

    public ChardevErrorKind Kind { get; }

    public IReadOnlyList<FieldError> Errors { get; }

    /// <summary>The chardev concerned, where the error is about one (not found, duplicate).</summary>
    public string? ChardevId { get; init; }

    public static ChardevException Invalid(IReadOnlyList<FieldError> errors) =>
        new(ChardevErrorKind.Invalid, string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")), errors);

    public static ChardevException Invalid(string field, string message) => Invalid([new FieldError(field, message)]);

    public static ChardevException Removed(string id) =>
        new(ChardevErrorKind.NotFound, $"chardev '{id}' was removed", [new FieldError("id", $"chardev '{id}' was removed")]) { ChardevId = id };

    public static ChardevException NotFound(string id) =>
        new(ChardevErrorKind.NotFound, $"chardev '{id}' does not exist", [new FieldError("id", $"no chardev is named '{id}'")]) { ChardevId = id };
}
