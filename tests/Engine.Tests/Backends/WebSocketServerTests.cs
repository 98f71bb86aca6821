using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>
/// A <c>websocket: true</c> socket server (QEMU <c>websocket=on</c>) against real peers: the BCL's
/// <see cref="ClientWebSocket"/>, and a raw TCP client that sends QEMU's <c>char_websock_test</c> frames byte by byte.
/// </summary>
public sealed class WebSocketServerTests
{
    // RFC 6455's own example key, so the expected accept value comes from the RFC and not from the code under test.
    private const string Upgrade =
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n\r\n";

    [Fact]
    public async Task AClientWebSocketIsTheDeviceWithBinaryFramesBothWaysByteExact()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("ws", Server(), history: 4096);
        var events = Record(chardev);
        var port = EngineHarness.PortOf(chardev);
        Assert.Equal($"disconnected:websocket:127.0.0.1:{port},server=on", chardev.Filename);

        using var peer = await ConnectAsync(chardev, protocol: "binary");
        await EngineHarness.WaitUntilAsync(() => chardev.Connected, "the peer to connect");
        Assert.Equal("binary", peer.SubProtocol);
        Assert.Matches($@"^websocket:127\.0\.0\.1:{port},server=on <-> 127\.0\.0\.1:\d+$", chardev.Filename);

        var every = Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray();
        await peer.SendAsync(every.AsMemory(0, 300), WebSocketMessageType.Binary, endOfMessage: true, EngineHarness.Timeout());
        await peer.SendAsync(every.AsMemory(300), WebSocketMessageType.Binary, endOfMessage: true, EngineHarness.Timeout());
        await EngineHarness.WaitUntilAsync(() => chardev.History().Length == every.Length, "the peer's frames as output");
        Assert.Equal(every, chardev.History());

        var input = RandomNumberGenerator.GetBytes(1 << 20);
        var receiving = ReceiveMessageAsync(peer);
        Assert.Equal(input.Length, await chardev.WriteAsync(input, EngineHarness.Timeout()));
        var (type, received) = await receiving;
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(input, received);
        Assert.Equal(input.Length, chardev.Stats.InputBytes);
        Assert.Equal([ChardevEventKind.Opened], events.Where(e => e is ChardevEventKind.Opened or ChardevEventKind.Closed));
    }

    [Fact]
    public async Task AMebibyteInFramesReachesAPacedConsoleThatLagsWithNothingLost()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.Registry.CreateAsync(new ChardevDefinition { Id = "ws", Flow = FlowPolicy.Pace, Backend = Server() }, EngineHarness.Timeout());
        await using var console = chardev.Attach(new ConsoleOptions { BufferBytes = 128 << 10 });
        using var peer = await ConnectAsync(chardev);
        var flood = RandomNumberGenerator.GetBytes(1 << 20);
        var push = SendInFramesAsync(peer, flood, frameBytes: 16 << 10);

        var received = new MemoryStream();
        long lost = 0;
        var held = false;
        var gate = ((IBackendOwner)chardev).Gate;
        var timeout = EngineHarness.Timeout(60);
        while (received.Length + lost < flood.Length)
        {
            // A reader far slower than the peer: it takes output only once the device is held (or has said everything).
            await EngineHarness.WaitUntilAsync(() => !gate.IsOpen || chardev.Stats.OutputBytes == flood.Length, "the device to be held");
            held |= !gate.IsOpen;
            var item = await console.ReadAsync(timeout) ?? throw new InvalidOperationException("the console ended");
            lost += item.Event is { Kind: ChardevEventKind.Overrun } overrun ? overrun.Bytes ?? 0 : 0;
            received.Write(item.Data);
            console.Acknowledge(received.Length);
        }

        await push.WaitAsync(timeout);
        Assert.True(held, "the device was never held: the console never had to pace it");
        Assert.Equal(0, lost);
        Assert.Equal(0, console.BytesLost);
        Assert.Equal(flood, received.ToArray());
        Assert.Equal(flood.Length, chardev.Stats.OutputBytes);
    }

    [Fact]
    public async Task QemusFramesGetAPongForThePingAndTheCloseEchoedThenTheServerListensAndTakesTheNextPeer()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("ws", Server(), history: 64);
        var events = Record(chardev);
        using var raw = await RawConnectAsync(chardev);
        var stream = raw.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes(Upgrade), EngineHarness.Timeout());
        var (head, _) = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head);
        Assert.Contains("\r\nUpgrade: websocket\r\n", head);
        Assert.Contains("\r\nConnection: Upgrade\r\n", head);
        Assert.Contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", head);
        Assert.Contains("\r\nSec-WebSocket-Protocol: binary\r\n", head);
        await EngineHarness.WaitUntilAsync(() => chardev.Connected, "the upgraded peer to be the device");

        // test-char.c's masked ping "hello", then its masked binary frame "world".
        await stream.WriteAsync(new byte[] { 0x89, 0x85, 0x07, 0x77, 0x9e, 0xf9, 0x6f, 0x12, 0xf2, 0x95, 0x68 }, EngineHarness.Timeout());
        Assert.Equal([0x8A, 0x05, .. "hello"u8], await ReadExactlyAsync(stream, 7));
        await stream.WriteAsync(new byte[] { 0x82, 0x85, 0x74, 0x90, 0xb9, 0xdf, 0x03, 0xff, 0xcb, 0xb3, 0x10 }, EngineHarness.Timeout());
        await EngineHarness.WaitUntilAsync(() => chardev.History().Length == 5, "the binary frame's payload as output");
        Assert.Equal("world"u8.ToArray(), chardev.History());

        await chardev.WriteAsync("hi"u8.ToArray(), EngineHarness.Timeout());
        Assert.Equal([0x82, 0x02, .. "hi"u8], await ReadExactlyAsync(stream, 4));

        // Its masked close frame with status 1000: echoed, then the server ends the connection.
        await stream.WriteAsync(new byte[] { 0x88, 0x82, 0xef, 0xaa, 0xc5, 0x97, 0xec, 0x42 }, EngineHarness.Timeout());
        Assert.Equal([0x88, 0x02, 0x03, 0xE8], await ReadExactlyAsync(stream, 4));
        Assert.Equal(0, await stream.ReadAsync(new byte[1], EngineHarness.Timeout()));
        await EngineHarness.WaitUntilAsync(() => chardev.State == ChardevState.Listening, "listening again");
        Assert.Equal("peer closed the WebSocket with 1000", chardev.LastError);
        Assert.Equal(0, await chardev.WriteAsync("gone"u8.ToArray(), EngineHarness.Timeout()));

        using var next = await ConnectAsync(chardev);
        await EngineHarness.WaitUntilAsync(() => chardev.Connected, "the next peer");
        var receiving = ReceiveMessageAsync(next);
        await chardev.WriteAsync("again"u8.ToArray(), EngineHarness.Timeout());
        Assert.Equal("again"u8.ToArray(), (await receiving).Data);
        Assert.Equal(
            [ChardevEventKind.Opened, ChardevEventKind.Closed, ChardevEventKind.Opened],
            events.Where(e => e is ChardevEventKind.Opened or ChardevEventKind.Closed));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", false, "400 Bad Request", "the Connection header is missing")]
    [InlineData("POST / HTTP/1.1\r\nHost: localhost\r\n\r\n", false, "400 Bad Request", "method POST is not GET")]
    [InlineData("GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n", false, "404 Not Found", "path /other is not /")]
    [InlineData("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", false, "400 Bad Request", "Sec-WebSocket-Version '8' is not 13")]
    [InlineData("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n", true, "400 Bad Request", "ended its request before the blank line")]
    public async Task ABadHandshakeIsAnsweredWithItsHttpErrorNeverOpensAndTheNextPeerIsServed(string request, bool hangUp, string status, string reason)
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("ws", Server());
        var events = Record(chardev);

        using (var raw = await RawConnectAsync(chardev))
        {
            var stream = raw.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), EngineHarness.Timeout());
            if (hangUp)
            {
                raw.Client.Shutdown(SocketShutdown.Send);
            }

            var (head, body) = await ReadResponseAsync(stream);
            Assert.StartsWith($"HTTP/1.1 {status}\r\n", head);
            Assert.Contains("\r\nConnection: close\r\n", head);
            Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", head);
            Assert.Contains(reason, body);
            Assert.Equal(0, await stream.ReadAsync(new byte[1], EngineHarness.Timeout()));
        }

        await EngineHarness.WaitUntilAsync(() => chardev.LastError?.Contains(reason, StringComparison.Ordinal) == true, "the refusal as the last error");
        Assert.StartsWith($"WebSocket handshake refused with {status}: ", chardev.LastError);
        Assert.Matches(@"\(from 127\.0\.0\.1:\d+\)$", chardev.LastError);
        Assert.Equal(ChardevState.Listening, chardev.State);

        using var good = await ConnectAsync(chardev);
        await EngineHarness.WaitUntilAsync(() => chardev.Connected, "the good peer");
        Assert.Equal([ChardevEventKind.Opened], events.Where(e => e is ChardevEventKind.Opened or ChardevEventKind.Closed));
    }

    [Fact]
    public async Task ARequestWithoutAnEndInItsFirst8KiBIsRefusedWith431()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("ws", Server());
        using var raw = await RawConnectAsync(chardev);
        var stream = raw.GetStream();
        var request = "GET / HTTP/1.1\r\nX-Padding: ";

        // Exactly the limit, so the server has read every byte when it answers (a close with unread bytes would reset).
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.PadRight(WebSocketHandshake.MaxRequestBytes, 'a')), EngineHarness.Timeout());

        var (head, body) = await ReadResponseAsync(stream);
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", head);
        Assert.Contains("first 8192 bytes", body);
        await EngineHarness.WaitUntilAsync(() => chardev.LastError?.Contains("431", StringComparison.Ordinal) == true, "the refusal");
        Assert.Equal(ChardevState.Listening, chardev.State);
    }

    [Fact]
    public async Task APeerSilentInItsHandshakeIsRefusedWith408AfterTheTimeoutAndTheWaitingPeerIsServed()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("ws", Server());
        using var silent = await RawConnectAsync(chardev);
        await silent.GetStream().WriteAsync("GET / HTTP/1.1\r\n"u8.ToArray(), EngineHarness.Timeout());
        using var good = new ClientWebSocket();
        var connecting = good.ConnectAsync(new Uri($"ws://127.0.0.1:{EngineHarness.PortOf(chardev)}/"), EngineHarness.Timeout());

        // The server serves one peer at a time: the good one waits in the backlog until the silent one's time is up.
        var advanced = TimeSpan.Zero;
        var timeout = EngineHarness.Timeout();
        while (!connecting.IsCompleted)
        {
            engine.Time.Advance(TimeSpan.FromSeconds(1));
            advanced += TimeSpan.FromSeconds(1);
            await Task.WhenAny(connecting, Task.Delay(20, timeout));
            Assert.False(timeout.IsCancellationRequested, "the waiting peer was never served");
        }

        await connecting;
        Assert.True(advanced >= WebSocketHandshake.Timeout, $"served after {advanced}, before the silent peer's time was up");
        var (head, body) = await ReadResponseAsync(silent.GetStream());
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", head);
        Assert.Contains("no complete upgrade request within 10 s", body);
        await EngineHarness.WaitUntilAsync(() => chardev.Connected, "the good peer as the device");
        Assert.Contains("408 Request Timeout", chardev.LastError);
    }

    [Fact]
    public async Task ATextFrameIsRefusedWith1003AsQemuRefusesItAndIsNotOutput()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("ws", Server(), history: 64);
        var events = Record(chardev);
        using var peer = await ConnectAsync(chardev);
        await EngineHarness.WaitUntilAsync(() => chardev.Connected, "the peer");

        await peer.SendAsync("text"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, EngineHarness.Timeout());
        var answer = await peer.ReceiveAsync(new byte[64], EngineHarness.Timeout());
        await peer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", EngineHarness.Timeout());

        Assert.Equal(WebSocketMessageType.Close, answer.MessageType);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, peer.CloseStatus);
        Assert.Equal("only binary, close, ping, and pong frames are supported", peer.CloseStatusDescription);
        await EngineHarness.WaitUntilAsync(() => chardev.State == ChardevState.Listening, "listening again");
        Assert.StartsWith("peer sent a text frame", chardev.LastError);
        Assert.Empty(chardev.History());
        Assert.Equal([ChardevEventKind.Opened, ChardevEventKind.Closed], events.Where(e => e is ChardevEventKind.Opened or ChardevEventKind.Closed));
    }

    [Fact]
    public async Task AUnixSocketServerSpeaksWebSocketToo()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await engine.CreateAsync("ws", new SocketBackendOptions { Server = true, Websocket = true, Addr = new SocketAddressOptions { Type = "unix", Path = "ws.sock" } }, history: 64);
        var path = Path.Combine(engine.DataDir, "ws.sock");
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var peer = new ClientWebSocket();
        await peer.ConnectAsync(new Uri("ws://localhost/"), new HttpMessageInvoker(handler), EngineHarness.Timeout());
        await EngineHarness.WaitUntilAsync(() => chardev.Connected, "the peer");

        await peer.SendAsync("over unix"u8.ToArray(), WebSocketMessageType.Binary, endOfMessage: true, EngineHarness.Timeout());

        await EngineHarness.WaitUntilAsync(() => chardev.History().Length == 9, "the frame as output");
        Assert.Equal("over unix"u8.ToArray(), chardev.History());
        Assert.Equal($"unix:{path},server=on", chardev.Filename);
    }

    [Fact]
    public async Task WebsocketAsAClientOrWithTelnetIsRefusedNamingTheField()
    {
        await using var engine = await EngineHarness.StartAsync();

        var client = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("c", SocketBackendTests.Tcp(server: false, port: SocketBackendTests.FreePort()) with { Websocket = true }));
        var telnet = await Assert.ThrowsAsync<ChardevException>(() => engine.CreateAsync("t", Server() with { Telnet = true }));

        Assert.Equal(ChardevErrorKind.Invalid, client.Kind);
        var clientError = Assert.Single(client.Errors);
        Assert.Equal(("backend.websocket", "needs server: true (a WebSocket client is not supported, as in QEMU)"), (clientError.Field, clientError.Message));
        var telnetError = Assert.Single(telnet.Errors);
        Assert.Equal(("backend.websocket", "cannot be combined with telnet: the peer speaks WebSocket frames, not telnet"), (telnetError.Field, telnetError.Message));
        Assert.Empty(engine.Registry.All);
    }

    private static SocketBackendOptions Server() => SocketBackendTests.Tcp(server: true, port: 0) with { Websocket = true };

    private static async Task<ClientWebSocket> ConnectAsync(Chardev chardev, string? protocol = null)
    {
        var peer = new ClientWebSocket();
        if (protocol is not null)
        {
            peer.Options.AddSubProtocol(protocol);
        }

        await peer.ConnectAsync(new Uri($"ws://127.0.0.1:{EngineHarness.PortOf(chardev)}/"), EngineHarness.Timeout());
        return peer;
    }

    private static async Task<TcpClient> RawConnectAsync(Chardev chardev)
    {
        var raw = new TcpClient();
        await raw.ConnectAsync(IPAddress.Loopback, EngineHarness.PortOf(chardev), EngineHarness.Timeout());
        return raw;
    }

    private static async Task SendInFramesAsync(ClientWebSocket peer, byte[] data, int frameBytes)
    {
        for (var at = 0; at < data.Length; at += frameBytes)
        {
            await peer.SendAsync(data.AsMemory(at, Math.Min(frameBytes, data.Length - at)), WebSocketMessageType.Binary, endOfMessage: true, EngineHarness.Timeout(60));
        }
    }

    /// <summary>One whole message, however many reads it takes.</summary>
    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(ClientWebSocket peer)
    {
        var message = new MemoryStream();
        var buffer = new byte[64 << 10];
        while (true)
        {
            var part = await peer.ReceiveAsync(buffer.AsMemory(), EngineHarness.Timeout());
            message.Write(buffer, 0, part.Count);
            if (part.EndOfMessage)
            {
                return (part.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>An HTTP response: its head up to the blank line, then a body of its Content-Length.</summary>
    private static async Task<(string Head, string Body)> ReadResponseAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            head.Append((char)(await ReadExactlyAsync(stream, 1))[0]);
        }

        var length = head.ToString().Split("\r\n").Where(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal)).Select(l => int.Parse(l[16..], System.Globalization.CultureInfo.InvariantCulture)).SingleOrDefault();
        return (head.ToString(), Encoding.UTF8.GetString(await ReadExactlyAsync(stream, length)));
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        var bytes = new byte[count];
        await stream.ReadExactlyAsync(bytes, EngineHarness.Timeout());
        return bytes;
    }

    private static ConcurrentQueue<ChardevEventKind> Record(Chardev chardev)
    {
        var kinds = new ConcurrentQueue<ChardevEventKind>();
        chardev.EventRaised += e => kinds.Enqueue(e.Kind);
        return kinds;
    }
}
