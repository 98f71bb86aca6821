using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Hubs;

/// <summary>A console leaves the count when its client goes, however it goes.</summary>
public sealed class ConsoleLifetimeTests
{
    private const char RecordSeparator = '\u001e';

    [Fact]
    public async Task AKilledWebSocketDetachesItsConsole()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        using var socket = new ClientWebSocket();
        var hub = new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = "/hubs/console" }.Uri;

        // SignalR's JSON protocol spoken directly, without negotiation, as a minimal client would.
        await socket.ConnectAsync(hub, CharWebServer.Timeout());
        await SendAsync(socket, """{"protocol":"json","version":1}""");
        Assert.Equal("{}", await ReceiveRecordAsync(socket));
        await SendAsync(socket, """{"type":4,"invocationId":"1","target":"Attach","arguments":["echo"]}""");
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "echo") == 1, "the raw socket is attached");
        socket.Abort();

        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "echo") == 0, "the killed socket's console is gone");
        Assert.Empty(await HubConsole.ListAsync(server, "echo"));
    }

    [Fact]
    public async Task CancellingTheStreamDetachesTheConsoleAndKeepsTheConnection()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server);
        await console.AttachAsync("echo");
        Assert.Equal(1, await HubConsole.CountAsync(server, "echo"));

        await console.DetachAsync();

        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "echo") == 0, "the cancelled stream's console is gone");
        Assert.Equal(HubConnectionState.Connected, console.Connection.State);
        Assert.Equal(3, await console.Connection.InvokeAsync<int>("Write", "echo", "abc"u8.ToArray(), CharWebServer.Timeout()));
        Assert.Equal(3, (await server.GetAsync("echo"))["stats"]!["outputDropped"]!.GetValue<long>());
    }

    private static async Task SendAsync(ClientWebSocket socket, string message) =>
        await socket.SendAsync(Encoding.UTF8.GetBytes(message + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, CharWebServer.Timeout());

    /// <summary>One record of the SignalR JSON protocol: text up to the record separator.</summary>
    private static async Task<string> ReceiveRecordAsync(ClientWebSocket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CharWebServer.Timeout());
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            var end = text.ToString().IndexOf(RecordSeparator, StringComparison.Ordinal);
            if (end >= 0)
            {
                return text.ToString()[..end];
            }
        }
    }
}
