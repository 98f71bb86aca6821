using CharWeb.Engine.Consoles;

namespace CharWeb.Engine;

/// <summary>
/// Who types into a chardev. Most backends ignore it; a mux keeps its escape state per source, so
/// that one writer's trailing C-a never turns another writer's next key into a command.
/// Two sources are the same writer when their keys are equal: the same console, or the same name.
/// </summary>
public sealed record InputSource
{
    private InputSource(object key) => Key = key;

    /// <summary>Every writer that does not say who it is: one source, so they share state as before.</summary>
    public static InputSource Anonymous { get; } = new(new object());

    /// <summary>The console session, the name, or the anonymous token; compared by <see cref="object.Equals(object)"/>.</summary>
    internal object Key { get; }

    /// <summary>Whether a console types this (its keystrokes are timed), rather than REST, QMP or a name.</summary>
    internal bool IsConsole => Key is ConsoleSession;

    /// <summary>One attached console.</summary>
    public static InputSource Console(ConsoleSession session) => new(session ?? throw new ArgumentNullException(nameof(session)));

    /// <summary>A writer known by name only, such as <c>rest:alice</c>; every write under one name is one writer.</summary>
    public static InputSource Named(string name) => new(name ?? throw new ArgumentNullException(nameof(name)));

    public override string ToString() => Key switch
    {
        ConsoleSession session => $"console {session.Id}",
        string name => name,
        _ => "anonymous",
    };
}
