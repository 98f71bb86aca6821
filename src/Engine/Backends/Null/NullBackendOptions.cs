namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>null</c>: swallows input, produces nothing.</summary>
public sealed record NullBackendOptions : BackendOptions
{
    public override string Type => "null";
}
