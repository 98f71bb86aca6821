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

        if (definition.RecordMaxBytes < ChardevDefinition.MinRecordMaxBytes)
        {
            errors.Add(new FieldError("recordMaxBytes", $"must be at least {ChardevDefinition.MinRecordMaxBytes}, got {definition.RecordMaxBytes}"));
        }

        if (definition.RecordMaxFiles is < 1 or > ChardevDefinition.MaxLogMaxFiles)
        {
            errors.Add(new FieldError("recordMaxFiles", $"must be between 1 and {ChardevDefinition.MaxLogMaxFiles}, got {definition.RecordMaxFiles}"));
        }

        if (definition.Logfile is not null && context.Paths.Resolve("logfile", definition.Logfile, errors) is { } logfile && RotatedLogs.LooksRotated(Path.GetFileName(logfile)))
        {
            errors.Add(new FieldError("logfile", $"'{Path.GetFileName(logfile)}' ends as a rotated log's name does (-YYYYMMDD-HHMMSS); name the log itself"));
        }

        ValidateLogOptions(definition, errors);

        ValidateAccess(definition.Access, errors);
        if (!Enum.IsDefined(definition.Writers))
        {
            errors.Add(new FieldError("writers", "must be one of: one, all"));
        }

        if (!Enum.IsDefined(definition.Flow))
        {
            errors.Add(new FieldError("flow", "must be one of: pace, drop"));
        }

        errors.AddRange(ValidateBackend(definition.Backend, backends, context, "backend."));
        return errors;
    }

    /// <summary>The options that shape <c>logfile</c>: each needs one, and rotation needs sane bounds.</summary>
    private static void ValidateLogOptions(ChardevDefinition definition, List<FieldError> errors)
    {
        var given = new (string Field, bool Set)[]
        {
            ("logTimestamps", definition.LogTimestamps),
            ("logEvents", definition.LogEvents),
            ("logMaxBytes", definition.LogMaxBytes is not null),
            ("logMaxFiles", definition.LogMaxFiles is not null),
        };
        if (definition.Logfile is null)
        {
            errors.AddRange(given.Where(g => g.Set).Select(g => new FieldError(g.Field, "needs a logfile; set logfile too")));
        }

        if (definition.LogMaxBytes is < ChardevDefinition.MinLogMaxBytes or > ChardevDefinition.MaxLogMaxBytes)
        {
            errors.Add(new FieldError("logMaxBytes", $"must be at least {ChardevDefinition.MinLogMaxBytes} and at most {ChardevDefinition.MaxLogMaxBytes} (1 TiB), got {definition.LogMaxBytes}"));
        }

        if (definition.LogMaxFiles is < 1 or > ChardevDefinition.MaxLogMaxFiles)
        {
            errors.Add(new FieldError("logMaxFiles", $"must be between 1 and {ChardevDefinition.MaxLogMaxFiles}, got {definition.LogMaxFiles}"));
        }
        else if (definition.LogMaxFiles is not null && definition.LogMaxBytes is null && definition.Logfile is not null)
        {
            errors.Add(new FieldError("logMaxFiles", "counts rotated logs, so it needs logMaxBytes"));
        }
    }

    /// <summary>Each entry is a user name or <c>@group</c>: no blanks, no wildcards, nothing that could match by accident.</summary>
    public static void ValidateAccess(ChardevAccess? access, ICollection<FieldError> errors)
    {
        foreach (var (field, list) in new[] { ("access.viewers", access?.Viewers), ("access.operators", access?.Operators) })
        {
            if (list is null)
            {
                continue;
            }

            if (list.Count > ChardevAccess.MaxEntries)
            {
                errors.Add(new FieldError(field, $"may list at most {ChardevAccess.MaxEntries} entries, got {list.Count}"));
                continue;
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not { } entry || !AccessEntryRegex().IsMatch(entry))
                {
                    errors.Add(new FieldError($"{field}[{i}]", "must be a user name or @group: letters, digits and . _ - @ + (1 to 128), not empty"));
                }
            }
        }
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

    [GeneratedRegex(@"^@?[A-Za-z0-9_][A-Za-z0-9._@+-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex AccessEntryRegex();

    [GeneratedRegex(IdPattern, RegexOptions.CultureInvariant)]
    private static partial Regex IdRegex();
}
