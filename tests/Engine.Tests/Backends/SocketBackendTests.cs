using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>The socket backend against real peers: socat and plain sockets on loopback.</summary>
public sealed class SocketBackendTests
{
    [Fact]
    public async Task TcpServerTakesAPeerBothWaysAndListensAgainWhenItLeaves()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("srv", Tcp(server: true, port: 0), history: 1024);
        var events = Record(chardev);
        var port = EngineHarness.PortOf(chardev);
        Assert.Equal(ChardevState.Listening, chardev.State);
        Assert.Equal($"disconnected:tcp:127.0.0.1:{port},server=on", chardev.Filename);

        await using (var peer = Socat.Start("-", $"TCP:127.0.0.1:{port}"))
        {
            await WaitUntilAsync(() => chardev.Connected);
            Assert.Matches($@"^tcp:127\.0\.0\.1:{port},server=on <-> 127\.0\.0\.1:\d+$", chardev.Filename);
            await peer.SendAsync("from socat\n");
            await WaitUntilAsync(() => chardev.History().Length == 11);
            Assert.Equal(9, await chardev.WriteAsync("to socat\n"u8.ToArray(), EngineHarness.Timeout()));
            await peer.WaitForAsync("to socat\n");
            await peer.CloseAsync();
            await WaitUntilAsync(() => chardev.State == ChardevState.Listening);
        }

        Assert.Equal("from socat\n"u8.ToArray(), chardev.History());
        Assert.Equal([ChardevEventKind.Opened, ChardevEventKind.Closed], events.Where(e => e is ChardevEventKind.Opened or ChardevEventKind.Closed));
        Assert.Equal(0, await chardev.WriteAsync("nobody"u8.ToArray(), EngineHarness.Timeout()));
        Assert.Equal(6, chardev.Stats.InputDropped);

        await using var second = Socat.Start("-", $"TCP:127.0.0.1:{port}");
        await WaitUntilAsync(() => chardev.Connected);
        await chardev.WriteAsync("again\n"u8.ToArray(), EngineHarness.Timeout());
        await second.WaitForAsync("again\n");
    }

    [Fact]
    public async Task UnixServerReplacesAStaleSocketFileAndRemovesItsOwnOnDelete()
    {
        await using var engine = await EngineHarness.StartAsync();
        var path = Path.Combine(engine.DataDir, "vm1.sock");
        // A socket file with nobody behind it: what a crashed server leaves (a socket .NET binds would unlink itself).
        ConfinedFile.ListenUnix(path, backlog: 1).Dispose();
        Assert.True(File.Exists(path));

        var chardev = await engine.CreateAsync("vm1", new SocketBackendOptions { Server = true, Addr = new SocketAddressOptions { Type = "unix", Path = "vm1.sock" } });
        Assert.Equal($"disconnected:unix:{path},server=on", chardev.Filename);
        await using (var peer = Socat.Start("-", $"UNIX-CONNECT:{path}"))
        {
            await WaitUntilAsync(() => chardev.Connected);
            Assert.Equal($"unix:{path},server=on", chardev.Filename);
            await chardev.WriteAsync("over unix\n"u8.ToArray(), EngineHarness.Timeout());
            await peer.WaitForAsync("over unix\n");
        }

        await engine.Registry.RemoveAsync("vm1", EngineHarness.Timeout());
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task UnixServerRefusesASocketFileThatALiveProgramListensOn()
    {
        await using var engine = await EngineHarness.StartAsync();
        var path = Path.Combine(engine.DataDir, "taken.sock");
        using var live = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        live.Bind(new UnixDomainSocketEndPoint(path));
        live.Listen(1);

        var error = await Assert.ThrowsAsync<ChardevException>(() =>
            engine.CreateAsync("x", new SocketBackendOptions { Server = true, Addr = new SocketAddressOptions { Type = "unix", Path = "taken.sock" } }));

        Assert.Equal(ChardevErrorKind.OpenFailed, error.Kind);
        Assert.Contains("in use", error.Message);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task TcpClientTalksToASocatServer()
    {
        await using var engine = await EngineHarness.StartAsync();
        var port = FreePort();
        await using var server = Socat.Start("-", $"TCP-LISTEN:{port},reuseaddr,bind=127.0.0.1");
        var chardev = await ConnectWhenListeningAsync(engine, "cli", port);

        Assert.Matches($@"^tcp:127\.0\.0\.1:\d+ <-> 127\.0\.0\.1:{port}$", chardev.Filename);
        await server.SendAsync("hello client\n");
        await WaitUntilAsync(() => chardev.Stats.OutputBytes == 13);
        await chardev.WriteAsync("hello server\n"u8.ToArray(), EngineHarness.Timeout());
        await server.WaitForAsync("hello server\n");
        await server.CloseAsync();
        await WaitUntilAsync(() => chardev.State == ChardevState.Closed);
        Assert.Equal($"disconnected:tcp:127.0.0.1:{port}", chardev.Filename);
    }

    [Fact]
    public async Task ClientWithoutReconnectFailsWithTheOsReasonAndLeavesNothing()
    {
        await using var engine = await EngineHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("cli", Tcp(server: false, port: FreePort())));

        Assert.Equal(ChardevErrorKind.OpenFailed, error.Kind);
        Assert.Contains("Connection refused", error.Message);
        Assert.Empty(engine.Registry.All);
    }

    [Fact]
    public async Task ReconnectingClientWaitsForItsServerAndComesBackAfterItRestarts()
    {
        await using var engine = await EngineHarness.StartAsync();
        var port = FreePort();
        var chardev = await engine.CreateAsync("cli", Tcp(server: false, port: port) with { ReconnectMs = 50 });
        var events = Record(chardev);
        Assert.Equal(ChardevState.Connecting, chardev.State);
        Assert.Contains("Connection refused", chardev.LastError);

        await using (var first = Socat.Start("-", $"TCP-LISTEN:{port},reuseaddr,bind=127.0.0.1"))
        {
            await AdvanceUntilAsync(engine, () => chardev.Connected);
            await chardev.WriteAsync("one\n"u8.ToArray(), EngineHarness.Timeout());
            await first.WaitForAsync("one\n");
        }

        await WaitUntilAsync(() => chardev.State == ChardevState.Connecting);
        await using var second = Socat.Start("-", $"TCP-LISTEN:{port},reuseaddr,bind=127.0.0.1");
        await AdvanceUntilAsync(engine, () => chardev.Connected);
        await chardev.WriteAsync("two\n"u8.ToArray(), EngineHarness.Timeout());
        await second.WaitForAsync("two\n");

        Assert.Equal(
            [ChardevEventKind.Opened, ChardevEventKind.Closed, ChardevEventKind.Opened],
            events.Where(e => e is ChardevEventKind.Opened or ChardevEventKind.Closed));
    }

    [Fact]
    public async Task PortInUseFailsWithTheOsReason()
    {
        await using var engine = await EngineHarness.StartAsync();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("srv", Tcp(server: true, port: port)));

        Assert.Equal(ChardevErrorKind.OpenFailed, error.Kind);
        Assert.Contains("Address already in use", error.Message);
    }

    [Fact]
    public async Task TelnetServerNegotiatesStripsIacTurnsIacBreakIntoABreakAndEscapesFF()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("tn", Tcp(server: true, port: 0) with { Telnet = true }, history: 64);
        var events = Record(chardev);
        using var peer = new TcpClient();
        await peer.ConnectAsync(IPAddress.Loopback, EngineHarness.PortOf(chardev), EngineHarness.Timeout());
        var stream = peer.GetStream();

        var negotiation = new byte[12];
        await stream.ReadExactlyAsync(negotiation, EngineHarness.Timeout());
        Assert.Equal([0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03, 0xFF, 0xFB, 0x00, 0xFF, 0xFD, 0x00], negotiation);
        Assert.StartsWith("telnet:127.0.0.1:", chardev.Filename);

        await stream.WriteAsync(new byte[] { (byte)'a', 0xFF, 0xFF, (byte)'b', 0xFF, 0xF3, (byte)'c', 0xFF, 0xFD, 0x03, (byte)'d' }, EngineHarness.Timeout());
        await WaitUntilAsync(() => chardev.History().Length == 5);
        Assert.Equal(new byte[] { (byte)'a', 0xFF, (byte)'b', (byte)'c', (byte)'d' }, chardev.History());
        Assert.Single(events, e => e == ChardevEventKind.Break);

        await chardev.WriteAsync(new byte[] { (byte)'x', 0xFF, (byte)'y' }, EngineHarness.Timeout());
        Assert.True(await chardev.SendBreakAsync(EngineHarness.Timeout()));
        var sent = new byte[6];
        await stream.ReadExactlyAsync(sent, EngineHarness.Timeout());
        Assert.Equal(new byte[] { (byte)'x', 0xFF, 0xFF, (byte)'y', 0xFF, 0xF3 }, sent);
    }

    [Fact]
    public async Task TelnetServerTakesNopAsTwoBytesAndSkipsASubnegotiation()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("tn", Tcp(server: true, port: 0) with { Telnet = true }, history: 64);
        using var peer = new TcpClient();
        await peer.ConnectAsync(IPAddress.Loopback, EngineHarness.PortOf(chardev), EngineHarness.Timeout());
        var stream = peer.GetStream();
        await stream.ReadExactlyAsync(new byte[TelnetFilter.Negotiation.Length], EngineHarness.Timeout());

        // "a" IAC NOP "b" IAC SB TERMINAL-TYPE IS "xterm" IAC SE "c": what a telnet client sends when asked its terminal.
        await stream.WriteAsync(new byte[] { (byte)'a', 0xFF, 0xF1, (byte)'b', 0xFF, 0xFA, 24, 0, (byte)'x', (byte)'t', (byte)'e', (byte)'r', (byte)'m', 0xFF, 0xF0, (byte)'c' }, EngineHarness.Timeout());
        await WaitUntilAsync(() => chardev.History().Length >= 3);

        Assert.Equal("abc"u8.ToArray(), chardev.History());
        Assert.Equal(3, chardev.Stats.OutputBytes);
    }

    [Fact]
    public async Task TwoServersCannotClaimOnePortAndBadAddressesAreRefused()
    {
        await using var engine = await EngineHarness.StartAsync();
        var port = FreePort();
        await engine.CreateAsync("a", Tcp(server: true, port: port));

        var twice = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("b", Tcp(server: true, port: port)));
        var bad = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("c", new SocketBackendOptions
        {
            Server = true,
            ReconnectMs = 100,
            Addr = new SocketAddressOptions { Type = "inet", Port = 70000 },
        }));

        Assert.Equal(ChardevErrorKind.Conflict, twice.Kind);
        Assert.Equal(["backend.addr.host", "backend.addr.port", "backend.reconnectMs"], bad.Errors.Select(e => e.Field).Order());
    }

    [Fact]
    public async Task ConsoleSeesWhatTheSocketPeerSends()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("srv", Tcp(server: true, port: 0));
        await using var console = chardev.Attach(new ConsoleOptions());
        await using var peer = Socat.Start("-", $"TCP:127.0.0.1:{EngineHarness.PortOf(chardev)}");
        await WaitUntilAsync(() => chardev.Connected);

        await peer.SendAsync("boot: ok\n");

        var seen = new List<byte>();
        while (seen.Count < 9)
        {
            seen.AddRange((await console.ReadDataAsync(EngineHarness.Timeout()))!);
        }

        Assert.Equal("boot: ok\n"u8.ToArray(), seen);
    }

    [Fact]
    public async Task ClientOutsideTheAllowListIsRefusedNamingTheRuleAndNeverConnects()
    {
        await using var engine = await EngineHarness.StartAsync(destinations: Allow("127.0.0.1/32"));
        using var allowed = Listen("127.0.0.1");
        using var elsewhere = Listen("127.0.0.2");

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("out", Client("127.0.0.2", PortOf(elsewhere)) with { ReconnectMs = 50 }));
        var chardev = await engine.CreateAsync("in", Client("127.0.0.1", PortOf(allowed)));
        using var peer = await allowed.AcceptSocketAsync(EngineHarness.Timeout());

        Assert.Equal(ChardevErrorKind.Invalid, error.Kind);
        var refused = Assert.Single(error.Errors);
        Assert.Equal("backend.addr", refused.Field);
        Assert.Equal($"127.0.0.2:{PortOf(elsewhere)} is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.1/32)", refused.Message);
        Assert.False(elsewhere.Pending());
        Assert.Equal(["in"], engine.Registry.All.Select(c => c.Id));
        Assert.Equal(ChardevState.Open, chardev.State);
    }

    [Fact]
    public async Task PortRangeEntryAllowsItsPortsOnly()
    {
        using var inRange = Listen("127.0.0.1");
        using var outside = Listen("127.0.0.1");
        var port = PortOf(inRange);
        await using var engine = await EngineHarness.StartAsync(destinations: Allow($"127.0.0.1:{port}-{port}"));

        await engine.CreateAsync("in", Client("127.0.0.1", port));
        using var peer = await inRange.AcceptSocketAsync(EngineHarness.Timeout());
        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("out", Client("127.0.0.1", PortOf(outside))));

        Assert.Equal(
            $"127.0.0.1:{PortOf(outside)} is not an allowed destination: 127.0.0.1:{port}-{port} covers the address but not port {PortOf(outside)} (CharWeb:Network:AllowedDestinations: 127.0.0.1:{port}-{port})",
            Assert.Single(error.Errors, e => e.Field == "backend.addr").Message);
        Assert.False(outside.Pending());
    }

    [Fact]
    public async Task NameEntryLetsTheNameConnectButNotItsAddressWrittenOut()
    {
        using var listener = Listen("127.0.0.1");
        await using var engine = await EngineHarness.StartAsync(destinations: Allow("localhost"));

        var byName = await engine.CreateAsync("name", Client("localhost", PortOf(listener)));
        using var peer = await listener.AcceptSocketAsync(EngineHarness.Timeout());
        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("literal", Client("127.0.0.1", PortOf(listener))));

        Assert.Equal(ChardevState.Open, byName.State);
        Assert.StartsWith($"127.0.0.1:{PortOf(listener)} is not an allowed destination", Assert.Single(error.Errors).Message);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Ipv4MappedAddressIsJudgedAndDialledAsItsIpv4Address()
    {
        using var allowed = Listen("127.0.0.1");
        using var elsewhere = Listen("127.0.0.2");
        await using var engine = await EngineHarness.StartAsync(destinations: Allow("127.0.0.1/32", "::/0"));

        var mapped = await engine.CreateAsync("mapped", Client("::ffff:127.0.0.1", PortOf(allowed)));
        using var peer = await allowed.AcceptSocketAsync(EngineHarness.Timeout());
        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("other", Client("::ffff:127.0.0.2", PortOf(elsewhere))));

        Assert.Matches($@"^tcp:127\.0\.0\.1:\d+ <-> 127\.0\.0\.1:{PortOf(allowed)}$", mapped.Filename);
        Assert.StartsWith($"[::ffff:127.0.0.2]:{PortOf(elsewhere)} (127.0.0.2) is not an allowed destination", Assert.Single(error.Errors).Message);
        Assert.False(elsewhere.Pending());
    }

    [Fact]
    public async Task UnspecifiedAddressIsRefusedUnderAnAllowAllCidr()
    {
        // Linux dials this host for 0.0.0.0: without the rule the client would reach the loopback listener.
        using var listener = Listen("127.0.0.1");
        await using var engine = await EngineHarness.StartAsync(destinations: Allow("0.0.0.0/0"));

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("any", Client("0.0.0.0", PortOf(listener))));

        Assert.Contains("the unspecified address (0.0.0.0, ::) is allowed only where it is listed itself", Assert.Single(error.Errors).Message);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task ChangeToARefusedDestinationKeepsTheOldBackend()
    {
        using var elsewhere = Listen("127.0.0.2");
        await using var engine = await EngineHarness.StartAsync(destinations: Allow("127.0.0.1/32"));
        var chardev = await engine.CreateAsync("srv", Tcp(server: true, port: 0));
        var filename = chardev.Filename;

        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.ChangeBackendAsync("srv", Client("127.0.0.2", PortOf(elsewhere)), EngineHarness.Timeout()));

        Assert.Equal("addr", Assert.Single(error.Errors).Field);
        Assert.Contains("127.0.0.2", error.Errors[0].Message);
        Assert.True(((SocketBackendOptions)chardev.Definition.Backend!).Server);
        Assert.Equal(ChardevState.Listening, chardev.State);
        Assert.Equal(filename, chardev.Filename);
        Assert.False(elsewhere.Pending());
    }

    [Fact]
    public async Task StoredClientThatTodaysPolicyRefusesComesBackFailedNamingTheRule()
    {
        using var listener = Listen("127.0.0.2");
        var port = PortOf(listener);
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            await engine.CreateAsync("cli", Client("127.0.0.2", port) with { ReconnectMs = 50 });
            using var first = await listener.AcceptSocketAsync(EngineHarness.Timeout());
        }

        await using var restarted = await EngineHarness.StartAsync(dataDir, destinations: Allow("127.0.0.1/32"));
        var chardev = restarted.Registry.Get("cli");
        restarted.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(ChardevState.Failed, chardev.State);
        Assert.Equal($"refused by today's policy: backend.addr: 127.0.0.2:{port} is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.1/32)", chardev.LastError);
        Assert.False(listener.Pending());
    }

    internal static SocketBackendOptions Tcp(bool server, int port) =>
        new() { Server = server, Addr = new SocketAddressOptions { Type = "inet", Host = "127.0.0.1", Port = port } };

    internal static DestinationPolicy Allow(params string[] entries)
    {
        var errors = new List<FieldError>();
        var policy = DestinationPolicy.Parse(entries, errors);
        Assert.Empty(errors);
        return policy;
    }

    private static SocketBackendOptions Client(string host, int port) =>
        new() { Addr = new SocketAddressOptions { Type = "inet", Host = host, Port = port } };

    /// <summary>A real listener; Linux answers on all of 127/8, so 127.0.0.2 is a second loopback host.</summary>
    private static TcpListener Listen(string address)
    {
        var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return listener;
    }

    private static int PortOf(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>socat needs a moment to listen; a reconnecting client with a fake clock is told to retry.</summary>
    private static async Task<Chardev> ConnectWhenListeningAsync(EngineHarness engine, string id, int port)
    {
        var timeout = EngineHarness.Timeout();
        while (true)
        {
            try
            {
                return await engine.CreateAsync(id, Tcp(server: false, port: port));
            }
            catch (ChardevException e) when (e.Message.Contains("Connection refused", StringComparison.Ordinal))
            {
                await Task.Delay(20, timeout);
            }
        }
    }

    private static ConcurrentQueue<ChardevEventKind> Record(Chardev chardev)
    {
        var kinds = new ConcurrentQueue<ChardevEventKind>();
        chardev.EventRaised += e => kinds.Enqueue(e.Kind);
        return kinds;
    }

    /// <summary>Moves the fake clock past reconnect delays until the condition holds.</summary>
    private static async Task AdvanceUntilAsync(EngineHarness engine, Func<bool> condition)
    {
        var timeout = EngineHarness.Timeout();
        while (!condition())
        {
            engine.Time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10, timeout);
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var timeout = EngineHarness.Timeout();
        while (!condition())
        {
            await Task.Delay(5, timeout);
        }
    }
}
