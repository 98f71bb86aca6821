using System.Net;
using System.Net.Sockets;
using CharWeb.Engine.Backends;
using static CharWeb.Engine.Tests.Backends.SocketBackendTests;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>The udp backend with socat as its UDP peer.</summary>
public sealed class UdpBackendTests
{
    [Fact]
    public async Task DatagramsFlowBothWaysWithASocatPeer()
    {
        await using var engine = await EngineHarness.StartAsync();
        var (local, remote) = (FreeUdpPort(), FreeUdpPort());
        var chardev = await engine.CreateAsync("u", new UdpBackendOptions
        {
            Remote = new UdpEndpointOptions { Host = "127.0.0.1", Port = remote },
            Local = new UdpEndpointOptions { Host = "127.0.0.1", Port = local },
        }, history: 256);
        Assert.Equal(ChardevState.Open, chardev.State);
        Assert.Equal("udp", chardev.Filename);
        await using var peer = Socat.Start("-", $"UDP-DATAGRAM:127.0.0.1:{local},bind=127.0.0.1:{remote}");

        await peer.SendAsync("datagram in\n");
        await WaitUntilAsync(() => chardev.History().Length == 12);
        Assert.Equal(13, await chardev.WriteAsync("datagram out\n"u8.ToArray(), EngineHarness.Timeout()));

        await peer.WaitForAsync("datagram out\n");
        Assert.Equal("datagram in\n"u8.ToArray(), chardev.History());
    }

    [Fact]
    public async Task MissingRemoteIsRefused()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("u", new UdpBackendOptions()));

        Assert.Equal("backend.remote", Assert.Single(error.Errors).Field);
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
