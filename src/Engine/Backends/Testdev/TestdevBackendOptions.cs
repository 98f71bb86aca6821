namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>testdev</c>, as an echo loopback for tests and demos.</summary>
public sealed record TestdevBackendOptions : BackendOptions
{
    public override string Type => "testdev";
}
