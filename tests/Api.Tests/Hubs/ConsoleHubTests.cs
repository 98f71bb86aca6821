using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CharWeb.Api.Tests.Hubs;

/// <summary>The console hub one call at a time: replay, input, errors, read-only, protocols, resize.</summary>
public sealed class ConsoleHubTests
{
    [Fact]
    public async Task AttachReplaysHistoryFirst()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "history": 65536, "backend": {"type": "testdev"}}""");
        using var write = await server.PostJsonAsync("/api/chardevs/echo/write", """{"data": "hello history", "format": "utf8"}""");
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        await using var console = await HubConsole.ConnectAsync(server, keep: true);

        await console.AttachAsync("echo");
        await console.WaitForReceivedAsync("hello history".Length, CharWebServer.Timeout());

        Assert.Equal("hello history", Encoding.UTF8.GetString(console.Bytes()));
    }

    [Fact]
    public async Task InputToADisconnectedDeviceIsCountedAndReported()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-api-").FullName;
        var sub = Directory.CreateDirectory(Path.Combine(dataDir, "sub"));
        await using (var first = await CharWebServer.StartAsync(dataDir))
        {
            await first.CreateAsync("""{"id": "f", "backend": {"type": "file", "path": "sub/out.txt"}}""");
        }

        sub.Delete(recursive: true);
        await using var server = await CharWebServer.StartAsync(dataDir);
        var restored = await server.GetAsync("f");
        Assert.Equal("failed", restored["state"]!.GetValue<string>());
        Assert.False(restored["connected"]!.GetValue<bool>());
        await using var console = await HubConsole.ConnectAsync(server);
        await console.AttachAsync("f");

        var accepted = await console.Connection.InvokeAsync<int>("Write", "f", "hello"u8.ToArray(), CharWebServer.Timeout());
        var dropped = await console.WaitForEventAsync("inputDropped");

        Assert.Equal(0, accepted);
        Assert.Equal(5, dropped.Number("bytes"));
        Assert.Equal("f", dropped.Id);
        Assert.Equal("failed", dropped.Text("state"));
        var stats = (await server.GetAsync("f"))["stats"]!;
        Assert.Equal(5, stats["inputDropped"]!.GetValue<long>());
        Assert.Equal(0, stats["inputBytes"]!.GetValue<long>());
        Assert.False(Directory.Exists(sub.FullName));
    }

    [Fact]
    public async Task ARestWriteBetweenAConsolesMuxEscapeAndItsNextKeyIsDataNotACommand()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "a", "backend": {"type": "ringbuf"}}""");
        await server.CreateAsync("""{"id": "b", "backend": {"type": "ringbuf"}}""");
        await server.CreateAsync("""{"id": "m", "backend": {"type": "mux", "chardevs": ["a", "b"]}}""");
        await using var console = await HubConsole.ConnectAsync(server, keep: true);
        await console.AttachAsync("m");

        Assert.Equal(1, await console.Connection.InvokeAsync<int>("Write", "m", new byte[] { 0x01 }, CharWebServer.Timeout()));
        await RestWriteAsync(server, "m", "c");
        Assert.Equal("c", await RestReadAsync(server, "a"));

        // The console's own next key completes its escape: the focus moves.
        Assert.Equal(1, await console.Connection.InvokeAsync<int>("Write", "m", "c"u8.ToArray(), CharWebServer.Timeout()));
        await HubConsole.UntilAsync(() => Task.FromResult(Encoding.UTF8.GetString(console.Bytes()).Contains("[b]", StringComparison.Ordinal)), "the console shows the focus on b");
        await RestWriteAsync(server, "m", "y");

        Assert.Equal("y", await RestReadAsync(server, "b"));
        Assert.Equal("", await RestReadAsync(server, "a"));
    }

    [Fact]
    public async Task HubErrorsSayWhatWasWrongAndKeepTheConnection()
    {
        var logged = new CapturedLog();
        await using var server = await CharWebServer.StartAsync(configure: builder => builder.Services.AddSingleton<Serilog.Core.ILogEventSink>(logged));
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server, keep: true);

        var missing = await Assert.ThrowsAsync<HubException>(() => console.AttachAsync("nosuch"));
        var tooLarge = await Assert.ThrowsAsync<HubException>(() => console.Connection.InvokeAsync<int>("Write", "echo", new byte[1048577], CharWebServer.Timeout()));
        await console.AttachAsync("echo");
        var accepted = await console.Connection.InvokeAsync<int>("Write", "echo", "still here"u8.ToArray(), CharWebServer.Timeout());
        await console.WaitForReceivedAsync(accepted, CharWebServer.Timeout());

        Assert.Contains("'nosuch'", missing.Message);
        Assert.Contains("1048576", tooLarge.Message);
        Assert.Contains("1048577", tooLarge.Message);
        Assert.Equal(HubConnectionState.Connected, console.Connection.State);
        Assert.Equal(10, accepted);
        Assert.Equal("still here", Encoding.UTF8.GetString(console.Bytes()));

        // A refusal is the caller's mistake, answered to the caller: the server logs no error for it.
        Assert.Contains(logged.Events, e => e.MessageTemplate.Text.Length > 0);
        Assert.DoesNotContain(logged.Events, e => e.Level >= Serilog.Events.LogEventLevel.Error);
    }

    private sealed class CapturedLog : Serilog.Core.ILogEventSink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Serilog.Events.LogEvent> _events = new();

        public IReadOnlyCollection<Serilog.Events.LogEvent> Events => _events;

        public void Emit(Serilog.Events.LogEvent logEvent) => _events.Enqueue(logEvent);
    }

    [Fact]
    public async Task AReadOnlyConsoleSeesOutputButCannotWrite()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server, readOnly: true, keep: true);
        await console.AttachAsync("echo");

        using var write = await server.PostJsonAsync("/api/chardevs/echo/write", """{"data": "from rest"}""");
        await console.WaitForReceivedAsync("from rest".Length, CharWebServer.Timeout());
        var inputBefore = (await server.GetAsync("echo"))["stats"]!["inputBytes"]!.GetValue<long>();
        var refused = await Assert.ThrowsAsync<HubException>(() => console.Connection.InvokeAsync<int>("Write", "echo", "typed"u8.ToArray(), CharWebServer.Timeout()));
        var refusedBreak = await Assert.ThrowsAsync<HubException>(() => console.Connection.InvokeAsync("SendBreak", "echo", CharWebServer.Timeout()));
        var stats = (await server.GetAsync("echo"))["stats"]!;
        var listed = Assert.Single(await HubConsole.ListAsync(server, "echo"))!;

        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        Assert.Equal("from rest", Encoding.UTF8.GetString(console.Bytes()));
        Assert.Contains("read-only", refused.Message);
        Assert.Contains("read-only", refusedBreak.Message);
        Assert.Equal(9, inputBefore);
        Assert.Equal(inputBefore, stats["inputBytes"]!.GetValue<long>());
        Assert.Equal(9, stats["outputBytes"]!.GetValue<long>());
        Assert.True(listed["readOnly"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AConsoleOverJsonReceivesTheEcho()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server, messagePack: false, keep: true);
        await console.AttachAsync("echo");
        byte[] typed = [.. "ls -l\r\n"u8, 0x00, 0x1b, 0xff, 0xfe];

        var accepted = await console.Connection.InvokeAsync<int>("Write", "echo", typed, CharWebServer.Timeout());
        await console.WaitForReceivedAsync(typed.Length, CharWebServer.Timeout());

        Assert.Equal(typed.Length, accepted);
        Assert.Equal(typed, console.Bytes());
        var joined = Assert.Single(console.Events, e => e.Kind == "consoles");
        Assert.Equal(1, joined.Number("consoles"));
    }

    [Fact]
    public async Task ResizeReachesTheServer()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        await using var console = await HubConsole.ConnectAsync(server);
        await console.AttachAsync("echo");
        var before = Assert.Single(await HubConsole.ListAsync(server, "echo"))!;

        await console.Connection.InvokeAsync("Resize", "echo", 120, 40, CharWebServer.Timeout());
        var after = Assert.Single(await HubConsole.ListAsync(server, "echo"))!;

        Assert.Null(before["cols"]);
        Assert.Equal(120, after["cols"]!.GetValue<int>());
        Assert.Equal(40, after["rows"]!.GetValue<int>());
        Assert.False(after["readOnly"]!.GetValue<bool>());
    }

    private static async Task RestWriteAsync(CharWebServer server, string id, string text)
    {
        using var response = await server.PostJsonAsync($"/api/chardevs/{id}/write", $$"""{"data": "{{text}}", "format": "utf8"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<string> RestReadAsync(CharWebServer server, string id) =>
        (await server.Http.GetFromJsonAsync<JsonObject>($"/api/chardevs/{id}/read?format=utf8", CharWebServer.Timeout()))!["data"]!.GetValue<string>();
}
