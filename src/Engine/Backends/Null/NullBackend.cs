namespace CharWeb.Engine.Backends;

/// <summary>Swallows input, produces no output (QEMU <c>char-null.c</c>).</summary>
public sealed class NullBackend : ChardevBackend
{
    public static BackendKind Kind { get; } = BackendKind.Create<NullBackendOptions>(
        "Swallows input, produces nothing.",
        (_, _) => [],
        (_, _) => new NullBackend());

    public override string Filename => "null";

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        SetState(ChardevState.Open);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ValueTask.FromResult(data.Length);
}
