using CharWeb.Engine.Consoles;

namespace CharWeb.Engine;

/// <summary>
/// The words of a log's event lines (<c>logEvents</c>), in conserver's: <c>Console up</c>, <c>Console down</c>,
/// <c>USER@HOST attached</c>, <c>... detached</c>, <c>... bumped ...</c>, <c>break sent</c>. A console is named as
/// conserver names a client, <c>user@address:port</c>, and says whether it may type.
/// </summary>
internal static class LogNotes
{
    public const string Up = "Console up";

    public const string BreakReceived = "break received";

    public static string Who(ConsoleSession console) => $"{console.User}@{console.RemoteAddress}";

    public static string Attached(ConsoleSession console) => $"{Who(console)} attached {(console.ReadOnly ? "read-only" : "read-write")}";

    public static string Detached(ConsoleSession console) => $"{Who(console)} detached";

    /// <summary>The seat moved to <paramref name="holder"/>; <paramref name="bumped"/> held it and was forced off (conserver's <c>-f</c>).</summary>
    public static string Writer(ConsoleSession? holder, ConsoleSession? bumped) => (holder, bumped) switch
    {
        (null, _) => "nobody has the writer seat",
        (_, null) => $"{Who(holder)} has the writer seat",
        _ => $"{Who(holder)} bumped {Who(bumped)}",
    };

    public static string Down(string? reason, int? exitCode) =>
        "Console down" + (reason, exitCode) switch
        {
            (null, null) => "",
            (_, null) => $": {reason}",
            (null, _) => $": exit code {exitCode}",
            _ => $": {reason}, exit code {exitCode}",
        };

    public static string BreakSent(string? by) => by is null ? "break sent" : $"break sent by {by}";

    public static string Changed(string type) => $"backend changed to {type}";
}
