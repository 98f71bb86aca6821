namespace CharWeb.Engine;

/// <summary>
/// One backend kind as registered once: name, options type, description, validator and factory.
/// <c>GET /api/backends</c>, validation and the OpenAPI union all come from these.
/// </summary>
public sealed class BackendKind
{
    private readonly Func<BackendOptions, BackendContext, IEnumerable<FieldError>> _validate;
    private readonly Func<BackendOptions, BackendContext, ChardevBackend> _create;

    private BackendKind(
        string name,
        Type optionsType,
        string description,
        IReadOnlyList<string> aliases,
        Func<BackendOptions, BackendContext, IEnumerable<FieldError>> validate,
        Func<BackendOptions, BackendContext, ChardevBackend> create)
    {
        Name = name;
        OptionsType = optionsType;
        Description = description;
        Aliases = aliases;
        _validate = validate;
        _create = create;
    }

    /// <summary>The discriminator value, QEMU's backend name.</summary>
    public string Name { get; }

    public Type OptionsType { get; }

    public string Description { get; }

    /// <summary>Other names QEMU accepts for the same kind (ringbuf: memory).</summary>
    public IReadOnlyList<string> Aliases { get; }

    public static BackendKind Create<TOptions>(
        string description,
        Func<TOptions, BackendContext, IEnumerable<FieldError>> validate,
        Func<TOptions, BackendContext, ChardevBackend> create,
        params string[] aliases)
        where TOptions : BackendOptions, new() =>
        new(
            new TOptions().Type,
            typeof(TOptions),
            description,
            aliases,
            (o, c) => validate((TOptions)o, c),
            (o, c) => create((TOptions)o, c));

    /// <summary>Every error of the options, field names relative to the options object.</summary>
    public IReadOnlyList<FieldError> Validate(BackendOptions options, BackendContext context) =>
        _validate(options, context).ToList();

    public ChardevBackend Create(BackendOptions options, BackendContext context) => _create(options, context);
}
