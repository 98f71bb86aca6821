using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU <c>char-hub.c</c>: input goes to every child; output of every child comes back.</summary>
public sealed class HubBackend(HubBackendOptions options, BackendContext context) : ChardevBackend
{
    private List<ChildConsole> _children = [];
    private readonly Lock _lock = new();

    public static BackendKind Kind { get; } = BackendKind.Create<HubBackendOptions>(
        "Input goes to every child chardev; output of every child comes back.",
        (o, c) => ChildChardevs.Validate(o.Chardevs, c).Concat(ChildChardevs.ValidateHubChildren(o.Chardevs, c)),
        (o, c) => new HubBackend(o, c),
        (o, _) => ChildChardevs.HubClaims(o.Chardevs));

    public override string Filename => "hub:" + string.Join(",", options.Chardevs);

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        _children = ChildChardevs.Attach(options.Chardevs, context, Filename, OnChildOutput);
        SetState(ChardevState.Open);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        foreach (var child in _children)
        {
            await child.Child.WriteAsync(data, cancellationToken);
        }

        return data.Length;
    }

    public override async ValueTask<bool> SendBreakAsync(CancellationToken cancellationToken)
    {
        var any = false;
        foreach (var child in _children)
        {
            any |= await child.Child.SendBreakAsync(cancellationToken);
        }

        return any;
    }

    public override async ValueTask DisposeAsync()
    {
        await ChildChardevs.DetachAsync(_children);
        await base.DisposeAsync();
    }

    private void OnChildOutput(ChildConsole child, byte[] data)
    {
        // Children output on their own threads; one at a time keeps each chunk whole.
        lock (_lock)
        {
            Output(data);
        }
    }
}
