namespace CharWeb.Engine.Backends;

/// <summary>Options of a backend made of other chardevs (mux, hub): QEMU stacks no hub over them.</summary>
public interface IChardevOfChardevs
{
    IReadOnlyList<string> Chardevs { get; }
}
