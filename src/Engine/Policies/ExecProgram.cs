using System.Collections.Frozen;

namespace CharWeb.Engine;

/// <summary>
/// One program of <c>CharWeb:Exec:Allowed</c>. With <see cref="Args"/> null it runs with any
/// arguments; otherwise only with exactly these. <see cref="Env"/> is added to its environment.
/// </summary>
public sealed record ExecProgram(string Command)
{
    public IReadOnlyList<string>? Args { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = FrozenDictionary<string, string>.Empty;

    public bool Accepts(IReadOnlyList<string> args) => Args is null || Args.SequenceEqual(args, StringComparer.Ordinal);
}
