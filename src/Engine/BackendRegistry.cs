using CharWeb.Engine.Backends;

namespace CharWeb.Engine;

/// <summary>The backend kinds this server knows, by name and by options type.</summary>
public sealed class BackendRegistry
{
    private readonly Dictionary<string, BackendKind> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, BackendKind> _byType = [];
    private readonly List<BackendKind> _kinds = [];
    private readonly Dictionary<string, string> _unsupported = new(StringComparer.Ordinal);

    public IReadOnlyList<BackendKind> Kinds => _kinds;

    /// <summary>The kinds that ship with CharWeb; one line per backend.</summary>
    public static BackendRegistry CreateDefault() => new BackendRegistry()
        .Add(NullBackend.Kind)
        .Add(RingbufBackend.Kind)
        .Add(TestdevBackend.Kind)
        .Add(FileBackend.Kind)
        .Add(SocketBackend.Kind)
        .Add(PtyBackend.Kind)
        .Add(PipeBackend.Kind)
        .Add(SerialBackend.Kind)
        .Add(ExecBackend.Kind)
        .Add(UdpBackend.Kind)
        .Add(ParallelBackend.Kind)
        .Add(MuxBackend.Kind)
        .Add(HubBackend.Kind)
        .Unsupported("console", "is a Windows-only QEMU backend")
        .Unsupported("win", "is a Windows-only QEMU backend")
        .Unsupported("win-stdio", "is a Windows-only QEMU backend")
        .Unsupported("stdio", "would be the server's own terminal; a service has none")
        .Unsupported("vc", "is a QEMU display console; CharWeb's consoles are in the browser");

    public BackendRegistry Add(BackendKind kind)
    {
        foreach (var name in kind.Aliases.Prepend(kind.Name))
        {
            if (!_byName.TryAdd(name, kind))
            {
                throw new InvalidOperationException($"backend name '{name}' is registered twice");
            }
        }

        _byType.Add(kind.OptionsType, kind);
        _kinds.Add(kind);
        return this;
    }

    public bool TryGet(string name, out BackendKind kind) => _byName.TryGetValue(name, out kind!);

    /// <summary>A QEMU backend this host cannot offer, with why; unknown names answer null.</summary>
    public string? WhyUnsupported(string name) =>
        _unsupported.TryGetValue(name, out var why)
            ? $"'{name}' {why}, not supported on this host; use one of: exec, pty, serial, socket"
            : null;

    /// <summary>Names a QEMU user may try that this host cannot offer.</summary>
    public BackendRegistry Unsupported(string name, string why)
    {
        _unsupported.Add(name, why);
        return this;
    }

    public BackendKind Get(BackendOptions options) =>
        _byType.TryGetValue(options.GetType(), out var kind)
            ? kind
            : throw new InvalidOperationException($"options type {options.GetType().Name} is not registered");

    /// <summary>The names a user may give, for error messages.</summary>
    public string KnownNames => string.Join(", ", _kinds.Select(k => k.Name).Order(StringComparer.Ordinal));
}
