namespace CharWeb.Engine;

/// <summary>
/// One backend kind as registered once: name, options type, description, validator and factory.
/// <c>GET /api/backends</c>, validation and the OpenAPI union all come from these.
/// </summary>
public sealed class BackendKind
{
    private readonly Func<BackendOptions, BackendContext, IEnumerable<FieldError>> _validate;
    private readonly Func<BackendOptions, BackendContext, ChardevBackend> _create;
    private readonly Func<BackendOptions, BackendContext, IEnumerable<BackendClaim>> _claims;
    private readonly Action<System.Text.Json.Nodes.JsonObject>? _fromQapi;

    private BackendKind(
        string name,
        Type optionsType,
        string description,
        IReadOnlyList<string> aliases,
        Func<BackendOptions, BackendContext, IEnumerable<FieldError>> validate,
        Func<BackendOptions, BackendContext, ChardevBackend> create,
        Func<BackendOptions, BackendContext, IEnumerable<BackendClaim>> claims,
        Action<System.Text.Json.Nodes.JsonObject>? fromQapi)
    {
        Name = name;
        OptionsType = optionsType;
        Description = description;
        Aliases = aliases;
        _validate = validate;
        _create = create;
        _claims = claims;
        _fromQapi = fromQapi;
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
        Func<TOptions, BackendContext, IEnumerable<BackendClaim>>? claims = null,
        Action<System.Text.Json.Nodes.JsonObject>? fromQapi = null,
        params string[] aliases)
        where TOptions : BackendOptions, new() =>
        new(
            new TOptions().Type,
            typeof(TOptions),
            description,
            aliases,
            (o, c) => validate((TOptions)o, c),
            (o, c) => create((TOptions)o, c),
            (o, c) => claims?.Invoke((TOptions)o, c) ?? [],
            fromQapi);

    /// <summary>
    /// Every error of the options, field names relative to the options object: the kind's own
    /// checks, and every limit its options declare ([Range], [Required], [AllowedValues]) for the
    /// fields those checks did not already speak about, so the OpenAPI document never promises more.
    /// </summary>
    public IReadOnlyList<FieldError> Validate(BackendOptions options, BackendContext context)
    {
        var errors = _validate(options, context).ToList();
        var spoken = errors.Select(e => e.Field.Split('.')[0]).ToHashSet(StringComparer.Ordinal);
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new System.ComponentModel.DataAnnotations.ValidationContext(options), results, validateAllProperties: true);
        foreach (var result in results)
        {
            foreach (var member in result.MemberNames)
            {
                var field = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member);
                if (spoken.Add(field))
                {
                    errors.Add(new FieldError(field, result.ErrorMessage ?? "is invalid"));
                }
            }
        }

        return errors;
    }

    public ChardevBackend Create(BackendOptions options, BackendContext context)
    {
        var backend = _create(options, context);
        backend.CanPace = CanPace;
        return backend;
    }

    /// <summary>
    /// Whether the device can simply wait while consoles catch up (a pty, a socket peer, a program),
    /// so <c>flow: pace</c> holds it; serial without flow control and udp cannot: the kernel would drop
    /// bytes unannounced. <c>GET /api/backends</c> says it, and the backends follow it.
    /// </summary>
    public bool CanPace { get; private set; }

    /// <summary>Registers the kind as one that can be paced (see <see cref="CanPace"/>).</summary>
    public BackendKind Paced()
    {
        CanPace = true;
        return this;
    }

    /// <summary>
    /// Renames what QAPI calls differently, on backend data already in CharWeb's JSON casing
    /// (file: <c>out</c> is <c>path</c>). Kinds whose options match QAPI need nothing.
    /// </summary>
    public void FromQapi(System.Text.Json.Nodes.JsonObject data) => _fromQapi?.Invoke(data);

    /// <summary>What the options would hold exclusively (a file written, later a port or a device).</summary>
    public IEnumerable<BackendClaim> Claims(BackendOptions options, BackendContext context) => _claims(options, context);
}

/// <summary>Something one chardev holds alone, and the option field that names it.</summary>
/// <param name="Field">The option, relative to the backend options (e.g. <c>path</c>).</param>
/// <param name="Resource">What is held, e.g. <c>file:/srv/charweb/data/out.txt</c>.</param>
public sealed record BackendClaim(string Field, string Resource)
{
    /// <summary>Another resource that may not be held (by another chardev) while this one is, and why.</summary>
    public (string Resource, string Reason)? Excludes { get; init; }
}
