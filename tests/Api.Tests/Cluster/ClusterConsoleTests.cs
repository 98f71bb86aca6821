using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Access;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Cluster;

/// <summary>A hub console on node a for a chardev on node b: a relays b's console, and b's window is driven by the browser's acks.</summary>
public sealed class ClusterConsoleTests
{
    [Fact]
    public async Task AConsoleThroughAEchoesFromBsTestdevAndItsKeysAndBreaksReachB()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        await using var console = await HubConsole.ConnectAsync(cluster["a"].BaseAddress, keep: true);
        await console.AttachAsync("demo-b");

        var accepted = await console.Connection.InvokeAsync<int>("Write", "demo-b", "ping-through-a"u8.ToArray(), CharWebServer.Timeout());
        Assert.Equal(14, accepted);
        await console.WaitForTextAsync("ping-through-a");
        await console.Connection.InvokeAsync("Resize", "demo-b", 100, 30, CharWebServer.Timeout());
        await console.Connection.InvokeAsync("SendBreak", "demo-b", CharWebServer.Timeout());

        // The console and the keys are b's: b counts the console, the input, and audits the break as the caller via a.
        var onB = await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/demo-b", CharWebServer.Timeout());
        Assert.Equal((1, 14L), (onB!["consoles"]!.GetValue<int>(), onB["stats"]!["inputBytes"]!.GetValue<long>()));
        var brokeOnB = await ClusterNodes.AuditAsync(cluster["b"], "demo-b", "break");
        Assert.Equal(("loopback", "loopback via node a"), (brokeOnB!["user"]!.GetValue<string>(), brokeOnB["via"]!.GetValue<string>()));
        var attachedOnA = await ClusterNodes.AuditAsync(cluster["a"], "demo-b", "attach");
        Assert.Contains("on node b from node a", attachedOnA!["detail"]!.GetValue<string>());
        Assert.Contains(console.Events, e => e.Kind == "consoles" && e.Id == "demo-b");

        // Detaching ends b's console too.
        await console.DetachAsync();
        await HubConsole.UntilAsync(
            async () => (await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/demo-b", CharWebServer.Timeout()))!["consoles"]!.GetValue<int>() == 0,
            "b has no console of demo-b");
    }

    [Fact]
    public async Task TenMegabytesThroughBsTestdevArriveWholeThroughAWhileTheConsoleAcks()
    {
        const int Total = 10 << 20;
        const int Piece = 256 << 10;
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        await using var console = await HubConsole.ConnectAsync(cluster["a"].BaseAddress);
        await console.AttachAsync("demo-b", ackEvery: 64 << 10);
        var data = ConsoleFanoutTests.RandomBytes(Total, seed: 12);

        // Never more than 512 KiB on the way, so b's 1 MiB console buffer need not drop: only acks let b send on.
        for (var offset = 0; offset < Total; offset += Piece)
        {
            await console.WaitForReceivedAsync(offset + Piece - (512 << 10), CharWebServer.Timeout());
            Assert.Equal(Piece, await console.Connection.InvokeAsync<int>("Write", "demo-b", data[offset..(offset + Piece)], CharWebServer.Timeout()));
        }

        await console.WaitForReceivedAsync(Total, CharWebServer.Timeout(120));
        Assert.Equal(Total, console.Received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), Convert.ToHexString(console.Hash()));
        Assert.DoesNotContain(console.Events, e => e.Kind == "overrun");
        var onB = Assert.Single(await cluster["b"].Http.GetFromJsonAsync<JsonArray>("/api/chardevs/demo-b/consoles", CharWebServer.Timeout()) ?? []);
        Assert.Equal((0L, (long)Total), (onB!["bytesLost"]!.GetValue<long>(), onB["bytesSent"]!.GetValue<long>()));
    }

    [Fact]
    public async Task KillingBEndsTheConsoleOnAWithTheReasonAndItAttachesAgainOnceBIsBack()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        await using var console = await HubConsole.ConnectAsync(cluster["a"].BaseAddress);
        await console.AttachAsync("demo-b");

        await cluster["b"].KillAsync();
        var ended = await console.WaitForEndAsync(seconds: 10);
        var reason = Assert.IsType<HubException>(ended).Message;
        Assert.Contains("node 'b'", reason);
        Assert.Contains("stopped answering", reason);
        // Told as an event just before the end, so a page knows to attach again once b is back.
        var told = Assert.Single(console.Events, e => e.Kind == "unreachable");
        Assert.Equal("b", told.Text("node"));
        Assert.EndsWith(told.Text("reason")!, reason, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Connected, console.Connection.State);

        await cluster.StartNodeAsync("b");
        await using var again = await HubConsole.ConnectAsync(cluster["a"].BaseAddress, keep: true);
        await again.AttachAsync("demo-b");
        await again.Connection.InvokeAsync<int>("Write", "demo-b", "back-again"u8.ToArray(), CharWebServer.Timeout());
        await again.WaitForTextAsync("back-again");
    }

    [Fact]
    public async Task AViewerThroughAWatchesBsConsoleButCannotType()
    {
        var keys = TestKeys.Settings(anonymousLoopback: true).ToDictionary(k => k.Key.Replace(":", "__", StringComparison.Ordinal), k => k.Value!);
        await using var cluster = await ClusterNodes.StartAsync(keys, "a", "b");
        await using var viewer = await HubConsole.ConnectAsync(cluster["a"].BaseAddress, keep: true, accessToken: TestKeys.Viewer);
        await viewer.AttachAsync("demo-b");

        var refused = await Assert.ThrowsAsync<HubException>(() => viewer.Connection.InvokeAsync<int>("Write", "demo-b", "x"u8.ToArray(), CharWebServer.Timeout()));
        Assert.Contains("operator", refused.Message);
        await Assert.ThrowsAsync<HubException>(() => viewer.Connection.InvokeAsync("SendBreak", "demo-b", CharWebServer.Timeout()));

        // It watches: what b's device says reaches it; b holds its console read-only, as the viewer it signed for.
        using (var written = await cluster["b"].Http.PostAsJsonAsync("/api/chardevs/demo-b/write", new { data = "seen-by-viewer" }, CharWebServer.Timeout()))
        {
            written.EnsureSuccessStatusCode();
        }

        await viewer.WaitForTextAsync("seen-by-viewer");
        var onB = Assert.Single(await cluster["b"].Http.GetFromJsonAsync<JsonArray>("/api/chardevs/demo-b/consoles", CharWebServer.Timeout()) ?? []);
        Assert.True(onB!["readOnly"]!.GetValue<bool>());
    }
}
