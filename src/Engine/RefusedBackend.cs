namespace CharWeb.Engine;

/// <summary>Stands in for the backend of a chardev that today's rules refuse: it opens nothing and takes no input.</summary>
internal sealed class RefusedBackend : ChardevBackend
{
    public override string Filename => "refused";

    public override ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.FromResult(0);
}
