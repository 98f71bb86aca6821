using System.Text.RegularExpressions;

namespace CharWeb.Engine;

/// <summary>
/// Which programs exec chardevs may run, with which arguments and environment, and how
/// <c>restart</c> backs off from a program that keeps exiting (<c>CharWeb:Exec</c>).
/// </summary>
public sealed partial class ExecPolicy
{
    /// <summary>The child's PATH whatever the server's is: a server's PATH may point into places a console user should not pick programs from.</summary>
    public const string SafePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static readonly TimeSpan FirstRestartDelay = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);

    public ExecPolicy(IEnumerable<ExecProgram> programs, TimeSpan? fastExit = null, int maxFastExits = 5)
    {
        Programs = [.. programs];
        FastExit = fastExit ?? TimeSpan.FromSeconds(10);
        MaxFastExits = maxFastExits;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FastExit, TimeSpan.Zero, nameof(fastExit));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFastExits, 1);
        var problems = Problems(Programs).Select(p => $"{p.Index}:{p.Error.Field}: {p.Error.Message}").ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(programs));
        }
    }

    /// <summary>Exec off: no program may run.</summary>
    public static ExecPolicy None { get; } = new([]);

    public IReadOnlyList<ExecProgram> Programs { get; }

    /// <summary>A run shorter than this is a fast exit.</summary>
    public TimeSpan FastExit { get; }

    /// <summary>After this many fast exits in a row, <c>restart</c> gives up and the chardev fails.</summary>
    public int MaxFastExits { get; }

    public bool Enabled => Programs.Count > 0;

    /// <summary>The entries for <paramref name="command"/>: none, one, or one per pinned argument list.</summary>
    public IReadOnlyList<ExecProgram> EntriesFor(string command) =>
        [.. Programs.Where(p => string.Equals(p.Command, command, StringComparison.Ordinal))];

    /// <summary>The entry that lets <paramref name="command"/> run with <paramref name="args"/>, if any does.</summary>
    public ExecProgram? Find(string command, IReadOnlyList<string> args) =>
        Programs.FirstOrDefault(p => string.Equals(p.Command, command, StringComparison.Ordinal) && p.Accepts(args));

    /// <summary>
    /// The wait before the next run after <paramref name="fastExits"/> fast exits in a row (0: the
    /// last run was long), doubling from 1 s to at most 30 s; null when restart should give up.
    /// </summary>
    public TimeSpan? RestartDelay(int fastExits) =>
        fastExits >= MaxFastExits ? null : TimeSpan.FromSeconds(Math.Min(MaxRestartDelay.TotalSeconds, FirstRestartDelay.TotalSeconds * (1 << Math.Clamp(fastExits - 1, 0, 5))));

    /// <summary>
    /// Everything the program's environment holds: nothing of the server's (its keys, secrets and
    /// ASP.NET settings stay with it) but a safe PATH, HOME, TERM and LANG, then the entry's Env.
    /// </summary>
    public static IReadOnlyDictionary<string, string> EnvironmentOf(ExecProgram program)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = SafePath,
            ["HOME"] = NonEmpty(Environment.GetEnvironmentVariable("HOME")) ?? "/",
            ["TERM"] = "xterm-256color",
            ["LANG"] = NonEmpty(Environment.GetEnvironmentVariable("LANG")) ?? "C.UTF-8",
        };
        foreach (var (name, value) in program.Env)
        {
            env[name] = value;
        }

        return env;
    }

    /// <summary>
    /// What is wrong with a list of entries, all at once: the entry's index and the field
    /// (<c>Command</c>, <c>Args</c>, <c>Env:NAME</c>) in configuration's own names.
    /// </summary>
    public static IEnumerable<(int Index, FieldError Error)> Problems(IReadOnlyList<ExecProgram> programs)
    {
        for (var i = 0; i < programs.Count; i++)
        {
            var program = programs[i];
            if (string.IsNullOrEmpty(program.Command) || program.Command.Any(char.IsControl) || !Path.IsPathFullyQualified(program.Command))
            {
                yield return (i, new FieldError("Command", $"must be an absolute path, got '{program.Command}'"));
            }

            if (program.Args?.Any(a => a is null || a.Contains('\0')) == true)
            {
                yield return (i, new FieldError("Args", "must be strings without NUL characters"));
            }

            foreach (var (name, value) in program.Env)
            {
                if (!EnvName().IsMatch(name))
                {
                    yield return (i, new FieldError($"Env:{name}", "is not a valid variable name (a letter or _, then letters, digits or _)"));
                }
                else if (value is null || value.Contains('\0'))
                {
                    yield return (i, new FieldError($"Env:{name}", "must be a string without NUL characters"));
                }
            }

            // Two entries that both accept a command line would leave it open which Env applies.
            if (programs.Take(i).Any(p => string.Equals(p.Command, program.Command, StringComparison.Ordinal)
                && (p.Args is null || program.Args is null || p.Args.SequenceEqual(program.Args, StringComparer.Ordinal))))
            {
                yield return (i, new FieldError("Command", $"'{program.Command}' is listed already; list a program once, or once per pinned Args list"));
            }
        }
    }

    /// <summary>An argument list as one would write it in JSON, for error messages.</summary>
    public static string Format(IEnumerable<string> args) =>
        "[" + string.Join(", ", args.Select(a => "\"" + a.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")) + "]";

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();
}
