using System.Text;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Peers;

/// <summary>A real QEMU's monitor through a CharWeb socket chardev, typed into from a browser-style console.</summary>
public sealed class QemuMonitorTests
{
    [Fact]
    public async Task CharWebServerQemuClientConsoleTypesInfoVersionAndSeesIt()
    {
        var version = await Qemu.VersionAsync();
        await using var server = await CharWebServer.StartAsync();
        var created = await server.CreateAsync("""
            {"id": "vm1-mon", "history": 65536,
             "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true, "wait": false}}
            """);
        Assert.Equal("listening", created["state"]!.GetValue<string>());
        var port = created["filename"]!.GetValue<string>().Split(':')[3].Split(',')[0];

        await using var qemu = Qemu.StartMonitor($"host=127.0.0.1,port={port}");
        await using var console = await HubConsole.ConnectAsync(server, keep: true);
        await console.AttachAsync("vm1-mon");
        await UntilTextAsync(console, "(qemu) ");

        await console.Connection.InvokeAsync<int>("Write", "vm1-mon", "info version\r"u8.ToArray(), CharWebServer.Timeout());

        // The answer is a line starting with the version; the banner's "QEMU 7.2.x monitor" does not count.
        await UntilTextAsync(console, "\r\n" + version);
        Assert.Equal("open", (await server.GetAsync("vm1-mon"))["state"]!.GetValue<string>());
        await qemu.KillAsync();
        await console.WaitForEventAsync("closed");
        Assert.Equal("listening", (await server.GetAsync("vm1-mon"))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReconnectingCharWebClientFollowsQemuServerThroughARestart()
    {
        var version = await Qemu.VersionAsync();
        await using var server = await CharWebServer.StartAsync();
        var port = CharWebServer.FreePort();
        var qemu = Qemu.StartMonitor($"host=127.0.0.1,port={port},server=on,wait=off");
        try
        {
            await server.CreateAsync($$$"""
                {"id": "vm2-mon", "history": 65536,
                 "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": {{{port}}}}, "reconnectMs": 100}}
                """);
            await using var console = await HubConsole.ConnectAsync(server, keep: true);
            await console.AttachAsync("vm2-mon");
            await UntilTextAsync(console, "(qemu) ");
            await console.Connection.InvokeAsync<int>("Write", "vm2-mon", "info version\r"u8.ToArray(), CharWebServer.Timeout());
            await UntilTextAsync(console, "\r\n" + version);

            await qemu.DisposeAsync();
            await console.WaitForEventAsync("closed");
            Assert.Equal("connecting", (await server.GetAsync("vm2-mon"))["state"]!.GetValue<string>());

            qemu = Qemu.StartMonitor($"host=127.0.0.1,port={port},server=on,wait=off");
            await console.WaitForEventAsync("opened");
            var before = console.Bytes().Length;
            await UntilTextAsync(console, "(qemu) ", from: before - 8);
            await console.Connection.InvokeAsync<int>("Write", "vm2-mon", "info version\r"u8.ToArray(), CharWebServer.Timeout());
            await UntilTextAsync(console, "\r\n" + version, from: before);
        }
        finally
        {
            await qemu.DisposeAsync();
        }
    }

    private static async Task UntilTextAsync(HubConsole console, string text, int from = 0) =>
        await HubConsole.UntilAsync(
            () => Task.FromResult(Encoding.UTF8.GetString(console.Bytes().AsSpan(Math.Max(0, from))).Contains(text, StringComparison.Ordinal)),
            $"'{text}' from QEMU (got: {Encoding.UTF8.GetString(console.Bytes())})");

}
