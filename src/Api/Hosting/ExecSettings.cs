using System.Globalization;
using CharWeb.Engine;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Hosting;

/// <summary>
/// Reads <c>CharWeb:Exec</c> into the engine's <see cref="ExecPolicy"/>. An <c>Allowed</c> entry is a
/// bare path (any arguments) or <c>{Command, Args, Env}</c>; configuration binding cannot read a list
/// that mixes the two, hence this reader. Every mistake is reported at once, by its configuration key.
/// </summary>
internal static class ExecSettings
{
    public const string Section = "CharWeb:Exec";

    private static readonly string[] SectionKeys = ["Allowed", "FastExitSeconds", "MaxFastExits"];
    private static readonly string[] EntryKeys = ["Command", "Args", "Env"];

    public static ExecPolicy Read(IConfigurationSection section)
    {
        var failures = new List<string>();
        var programs = new List<ExecProgram>();
        var commandKeys = new List<string>();
        var entryKeys = new List<string>();
        Unknown(section, SectionKeys, failures);
        foreach (var entry in section.GetSection("Allowed").GetChildren())
        {
            if (ReadEntry(entry, failures) is { } program)
            {
                programs.Add(program);
                entryKeys.Add(entry.Path);
                commandKeys.Add(entry.Value is null ? $"{entry.Path}:Command" : entry.Path);
            }
        }

        foreach (var (index, error) in ExecPolicy.Problems(programs))
        {
            failures.Add($"{(error.Field == "Command" ? commandKeys[index] : $"{entryKeys[index]}:{error.Field}")}: {error.Message}");
        }

        var fastExit = Number(section, "FastExitSeconds", 10, failures);
        var maxFastExits = Number(section, "MaxFastExits", 5, failures);
        if (fastExit is <= 0)
        {
            failures.Add($"{section.Path}:FastExitSeconds: must be above 0, got {fastExit.Value.ToString(CultureInfo.InvariantCulture)}");
        }

        if (maxFastExits is { } max && (max < 1 || max != Math.Floor(max)))
        {
            failures.Add($"{section.Path}:MaxFastExits: must be a whole number, at least 1, got {max.ToString(CultureInfo.InvariantCulture)}");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Section, typeof(ExecPolicy), failures);
        }

        return new ExecPolicy(programs, TimeSpan.FromSeconds(fastExit!.Value), (int)maxFastExits!.Value);
    }

    private static ExecProgram? ReadEntry(IConfigurationSection entry, List<string> failures)
    {
        if (entry.Value is { } bare)
        {
            return new ExecProgram(bare);
        }

        // A misspelt "Args" would otherwise leave the program open to any arguments.
        if (Unknown(entry, EntryKeys, failures))
        {
            return null;
        }

        var command = entry["Command"];
        if (command is null)
        {
            failures.Add($"{entry.Path}:Command: is required (an entry is a path, or {{\"Command\", \"Args\", \"Env\"}})");
            return null;
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in entry.GetSection("Env").GetChildren())
        {
            if (variable.Value is null)
            {
                failures.Add($"{variable.Path}: must be a string");
            }
            else
            {
                env[variable.Key] = variable.Value;
            }
        }

        return new ExecProgram(command) { Args = Args(entry, failures), Env = env };
    }

    /// <summary>
    /// Null when the entry has no <c>Args</c> (any arguments). An empty JSON array, or an empty
    /// value (<c>..__Args=</c> in the environment), pins "no arguments".
    /// </summary>
    private static List<string>? Args(IConfigurationSection entry, List<string> failures)
    {
        var section = entry.GetChildren().FirstOrDefault(c => string.Equals(c.Key, "Args", StringComparison.OrdinalIgnoreCase));
        if (section is null)
        {
            return null;
        }

        var items = section.GetChildren().ToList();
        if (items.Count == 0 && !string.IsNullOrEmpty(section.Value))
        {
            failures.Add($"{section.Path}: must be a list of strings, got the string '{section.Value}'");
            return [];
        }

        var args = new List<string>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].Key != i.ToString(CultureInfo.InvariantCulture) || items[i].Value is null)
            {
                failures.Add($"{items[i].Path}: must be item {i} of a list of strings");
            }
            else
            {
                args.Add(items[i].Value!);
            }
        }

        return args;
    }

    private static bool Unknown(IConfigurationSection section, string[] known, List<string> failures)
    {
        var unknown = section.GetChildren().Where(c => !known.Contains(c.Key, StringComparer.OrdinalIgnoreCase)).ToList();
        foreach (var child in unknown)
        {
            failures.Add($"{child.Path}: unknown key; {section.Path} has {string.Join(", ", known)}");
        }

        return unknown.Count > 0;
    }

    private static double? Number(IConfigurationSection section, string key, double fallback, List<string> failures)
    {
        var value = section[key];
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        failures.Add($"{section.Path}:{key}: must be a number, got '{value}'");
        return null;
    }
}
