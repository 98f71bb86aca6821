using System.Text.RegularExpressions;

namespace CharWeb.Engine;

/// <summary>Checks a whole definition and reports every error at once.</summary>
public static partial class ChardevValidator
{
    public const string IdPattern = "^[A-Za-z][A-Za-z0-9._-]*$";

    public static IReadOnlyList<FieldError> Validate(ChardevDefinition definition, BackendRegistry backends, BackendContext context)
    {
        var errors = new List<FieldError>();
        ValidateId(definition.Id, errors);
        if (definition.History is < 0 or > ChardevDefinition.MaxHistory)
        {
            errors.Add(new FieldError("history", $"must be between 0 and {ChardevDefinition.MaxHistory}, got {definition.History}"));
        }

        if (definition.Logfile is not null)
        {
            context.Paths.Resolve("logfile", definition.Logfile, errors);
        }

        errors.AddRange(ValidateBackend(definition.Backend, backends, context, "backend."));
        return errors;
    }

    /// <summary>Backend errors, field names under <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<FieldError> ValidateBackend(BackendOptions? backend, BackendRegistry backends, BackendContext context, string prefix)
    {
        if (backend is null)
        {
            return [new FieldError(prefix.TrimEnd('.') is { Length: > 0 } p ? p : "type", $"is required; one of: {backends.KnownNames}")];
        }

        return backends.Get(backend).Validate(backend, context)
            .Select(e => e with { Field = prefix + e.Field })
            .ToList();
    }

    public static void ValidateId(string? id, ICollection<FieldError> errors)
    {
        if (string.IsNullOrEmpty(id))
        {
            errors.Add(new FieldError("id", "is required"));
        }
        else if (id.Length > ChardevDefinition.MaxIdLength)
        {
            errors.Add(new FieldError("id", $"must be at most {ChardevDefinition.MaxIdLength} characters, got {id.Length}"));
        }
        else if (!IdRegex().IsMatch(id))
        {
            errors.Add(new FieldError("id", "must start with a letter and contain only letters, digits, '-', '.' and '_' (QEMU's id rule)"));
        }
    }

    [GeneratedRegex(IdPattern, RegexOptions.CultureInvariant)]
    private static partial Regex IdRegex();
}
