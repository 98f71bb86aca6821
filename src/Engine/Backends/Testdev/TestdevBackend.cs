namespace CharWeb.Engine.Backends;

/// <summary>Echo loopback: every input byte comes back as output.</summary>
public sealed class TestdevBackend : ChardevBackend
{
    public static BackendKind Kind { get; } = BackendKind.Create<TestdevBackendOptions>(
        "Echo loopback for tests and demos: input comes back as output.",
        (_, _) => [],
        (_, _) => new TestdevBackend());

    public override string Filename => "testdev";

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        SetState(ChardevState.Open);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Output(data.Span);
        return ValueTask.FromResult(data.Length);
    }
}
