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

    [Fact]
    public async Task DatagramsGoOnlyWhereTheAllowListSaysAndLocalIsNotJudged()
    {
        await using var engine = await EngineHarness.StartAsync(destinations: Allow("127.0.0.1/32"));
        using var allowed = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var elsewhere = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("out", To(elsewhere)));
        var chardev = await engine.CreateAsync("in", To(allowed) with { Local = new UdpEndpointOptions { Host = "127.0.0.2", Port = 0 } });
        await chardev.WriteAsync("allowed\n"u8.ToArray(), EngineHarness.Timeout());
        var received = await allowed.ReceiveAsync(EngineHarness.Timeout());

        var refused = Assert.Single(error.Errors);
        Assert.Equal("backend.remote", refused.Field);
        Assert.Equal($"127.0.0.2:{PortOf(elsewhere)} is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.1/32)", refused.Message);
        Assert.Equal("allowed\n"u8.ToArray(), received.Buffer);
        Assert.Equal(0, elsewhere.Available);
        Assert.Equal(["in"], engine.Registry.All.Select(c => c.Id));
    }

    [Fact]
    public async Task Ipv4MappedRemoteIsJudgedAsIpv4()
    {
        await using var engine = await EngineHarness.StartAsync(destinations: Allow("::/0"));
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        var error = await Assert.ThrowsAsync<ChardevException>(() =>
            engine.CreateAsync("u", new UdpBackendOptions { Remote = new UdpEndpointOptions { Host = "::ffff:127.0.0.1", Port = PortOf(receiver) } }));

        Assert.StartsWith($"[::ffff:127.0.0.1]:{PortOf(receiver)} (127.0.0.1) is not an allowed destination", Assert.Single(error.Errors).Message);
        Assert.Equal(0, receiver.Available);
    }

    [Fact]
    public async Task StoredUdpThatTodaysPolicyRefusesComesBackFailedNamingTheRule()
    {
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            var first = await engine.CreateAsync("u", To(receiver));
            await first.WriteAsync("before\n"u8.ToArray(), EngineHarness.Timeout());
            Assert.Equal("before\n"u8.ToArray(), (await receiver.ReceiveAsync(EngineHarness.Timeout())).Buffer);
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir, destinations: Allow("127.0.0.1/32"));
        var chardev = restarted.Registry.Get("u");
        var accepted = await chardev.WriteAsync("after\n"u8.ToArray(), EngineHarness.Timeout());

        Assert.Equal(0, accepted);
        Assert.Equal(ChardevState.Failed, chardev.State);
        Assert.Equal($"refused by today's policy: backend.remote: 127.0.0.2:{PortOf(receiver)} is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.1/32)", chardev.LastError);
        Assert.Equal(0, receiver.Available);
    }

    private static UdpBackendOptions To(UdpClient receiver) =>
        new() { Remote = new UdpEndpointOptions { Host = ((IPEndPoint)receiver.Client.LocalEndPoint!).Address.ToString(), Port = PortOf(receiver) } };

    private static int PortOf(UdpClient receiver) => ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
