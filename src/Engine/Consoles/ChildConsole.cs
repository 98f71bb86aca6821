namespace CharWeb.Engine.Consoles;

/// <summary>
/// A chardev used by another (mux, hub): an in-process console on the child whose output is
/// handed to the parent. It is a console like any other, so the child's spice rule holds.
/// </summary>
internal sealed class ChildConsole : IAsyncDisposable
{
    private readonly ConsoleSession _session;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public ChildConsole(Chardev child, string parentId, Action<ChildConsole, byte[]> output)
    {
        Child = child;
        // Read-only: the parent writes to the child chardev itself, so its pump never takes the writer seat from a person.
        _session = child.Attach(new ConsoleOptions { RemoteAddress = $"chardev {parentId}", User = "chardev:" + parentId, ReadOnly = true });
        _pump = PumpAsync(output, _stop.Token);
    }

    public Chardev Child { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _session.DisposeAsync();
        _stop.Dispose();
    }

    private async Task PumpAsync(Action<ChildConsole, byte[]> output, CancellationToken cancellationToken)
    {
        while (await _session.ReadDataAsync(cancellationToken) is { } data)
        {
            output(this, data);
        }
    }
}
