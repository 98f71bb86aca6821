using System.Diagnostics;

namespace CharWeb.Bench;

/// <summary>
/// One pty chardev with consoles attached; <c>dd</c> writes a file flat out into its slave and each
/// console is timed from the writer's start to the last byte it received.
/// </summary>
public static class PtyPush
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public static async Task<IReadOnlyList<ConsoleFigures>> RunAsync(CharWebProcess server, string id, string source, long bytes, IReadOnlyList<bool> acknowledges, CancellationToken cancellationToken)
    {
        var created = await server.CreateAsync(new { id, backend = new { type = "pty" } }, cancellationToken);
        var slave = created["ptyPath"]?.GetValue<string>() ?? throw new InvalidOperationException($"the pty chardev '{id}' answered no ptyPath");
        await using var consoles = await ConsoleGroup.AttachAsync(server, id, acknowledges, cancellationToken);

        // Held open as a program on the pty would hold it: the chardev is open before the writer
        // starts, so its hang-up recheck is not charged to the run, and dd's close hangs nothing up.
        using var held = PtyPair.OpenTerminal(slave);
        await server.WaitConnectedAsync(id, ConnectTimeout, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        await using (var writer = FlatOutWriter.Once(source, slave))
        {
            await writer.WaitAsync(WriterTimeout(bytes), cancellationToken);
        }

        return await consoles.FiguresAsync(bytes, started, cancellationToken);
    }

    /// <summary>Generous: a device that is never slowed drains far faster than 1 MB/s.</summary>
    public static TimeSpan WriterTimeout(long bytes) => TimeSpan.FromSeconds(30 + (bytes / 1e6));
}
