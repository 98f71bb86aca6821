using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// N MB into a socket chardev nobody watches: the server's RSS must not grow with it, and every byte
/// must be counted in <c>outputDropped</c>. A 1 MB push into another chardev first warms the path so
/// that JIT and pool growth are not charged to the run.
/// </summary>
public sealed class NoConsole : IScenario
{
    public string Name => "no-console";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.NoConsoleMegabytes * 1_000_000L;
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken);
        await PushAsync(server, "warmup", 1_000_000, cancellationToken);
        var before = server.ResidentBytes();
        var chardev = await PushAsync(server, "quiet", bytes, cancellationToken);
        var after = server.ResidentBytes();
        var dropped = CharWebProcess.Stat(chardev, "outputDropped");
        var growth = (after - before) / 1e6;
        return
        [
            new(Name, $"RSS growth over {context.Options.NoConsoleMegabytes} MB", growth, "MB", before / 1e6, "RSS before", "< 10 MB", growth < 10),
            new(Name, "outputDropped", dropped / 1e6, "MB", bytes / 1e6, "sent", "= sent", dropped == bytes),
        ];
    }

    /// <summary>Pushes <paramref name="bytes"/> and answers the chardev once its output counter has them all.</summary>
    private static async Task<System.Text.Json.Nodes.JsonObject> PushAsync(CharWebProcess server, string id, long bytes, CancellationToken cancellationToken)
    {
        var port = await server.CreateSocketServerAsync(id, cancellationToken);
        using (var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await peer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            await SocketPush.SendAsync(peer, bytes, cancellationToken);
        }

        return await server.WaitOutputAsync(id, bytes, TimeSpan.FromSeconds(300), TimeSpan.FromMilliseconds(100), cancellationToken);
    }
}
