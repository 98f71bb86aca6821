using System.Text;
using CharWeb.Engine.Backends;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>The opening handshake judged as QEMU's <c>io/channel-websock.c</c> judges it, request by request.</summary>
public sealed class WebSocketHandshakeTests
{
    private const string Valid =
        "GET / HTTP/1.1\r\nHost: localhost:4555\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13";

    [Fact]
    public void AValidRequestIsUpgradedWithRfc6455sAcceptValueAndNoProtocolWhenNoneIsOffered()
    {
        var answer = WebSocketHandshake.Judge(Valid);

        Assert.True(answer.Upgraded);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", answer.Accept);
        Assert.Null(answer.Protocol);
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            Encoding.ASCII.GetString(answer.ToBytes()));
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("chat, binary")]
    [InlineData("binary,base64")]
    public void AnOfferThatIncludesBinaryIsAnsweredWithBinary(string offered)
    {
        var answer = WebSocketHandshake.Judge(Valid + "\r\nSec-WebSocket-Protocol: " + offered);

        Assert.True(answer.Upgraded);
        Assert.Equal("binary", answer.Protocol);
        Assert.Contains("\r\nSec-WebSocket-Protocol: binary\r\n\r\n", Encoding.ASCII.GetString(answer.ToBytes()));
    }

    [Fact]
    public void HeaderNamesAndTheUpgradeTokensAreCaseInsensitiveAndConnectionMayListMore()
    {
        // Firefox sends "Connection: keep-alive, Upgrade".
        var request = Valid.Replace("Connection: Upgrade", "connection: keep-alive, upgrade", StringComparison.Ordinal)
            .Replace("Upgrade: websocket", "UPGRADE: WebSocket", StringComparison.Ordinal)
            .Replace("Sec-WebSocket-Key", "sec-websocket-key", StringComparison.Ordinal);

        Assert.True(WebSocketHandshake.Judge(request).Upgraded);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1", "GET /", 400, "'GET /' is not a request line")]
    [InlineData("GET / HTTP/1.1", "HEAD / HTTP/1.1", 400, "method HEAD is not GET")]
    [InlineData("GET / HTTP/1.1", "GET / HTTP/1.0", 400, "HTTP/1.0 is not HTTP/1.1")]
    [InlineData("GET / HTTP/1.1", "GET /chat HTTP/1.1", 404, "path /chat is not /")]
    [InlineData("Host: localhost:4555\r\n", "", 400, "the Host header is missing")]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 400, "the Sec-WebSocket-Key header is missing")]
    [InlineData("Connection: Upgrade", "Connection: keep-alive", 400, "Connection 'keep-alive' does not ask for an upgrade")]
    [InlineData("Upgrade: websocket", "Upgrade: h2c", 400, "Upgrade 'h2c' is not websocket")]
    [InlineData("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", 400, "Sec-WebSocket-Version '8' is not 13")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=", 400, "Sec-WebSocket-Key 'c2hvcnQ=' is not 16 bytes in base64")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", "not*base64*at*all*here!!", 400, "is not 16 bytes in base64")]
    [InlineData("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat", 400, "Sec-WebSocket-Protocol offers 'chat, superchat', not binary")]
    [InlineData("Host: localhost:4555", "Host localhost", 400, "'Host localhost' is not a header line")]
    [InlineData("Host: localhost:4555", "Host: localhost:4555\r\nOrigin: https://evil.example", 403, "a web page from https://evil.example may not open")]
    [InlineData("Host: localhost:4555", "Host: localhost:4555\r\nOrigin: http://localhost:8080", 403, "a web page from http://localhost:8080 may not open")]
    [InlineData("Host: localhost:4555", "Host: localhost:4555\r\nOrigin: null", 403, "a web page from null may not open")]
    public void ABadRequestIsRefusedWithTheStatusAndReasonQemuWouldGive(string part, string replacement, int status, string reason)
    {
        var answer = WebSocketHandshake.Judge(Valid.Replace(part, replacement, StringComparison.Ordinal));

        Assert.False(answer.Upgraded);
        Assert.Equal(status, answer.Status);
        Assert.Contains(reason, answer.Reason);
        var response = Encoding.UTF8.GetString(answer.ToBytes());
        Assert.StartsWith($"HTTP/1.1 {status} ", response);
        Assert.EndsWith("\r\n\r\n" + answer.Reason + "\n", response);
        Assert.Contains($"\r\nContent-Length: {Encoding.UTF8.GetByteCount(answer.Reason) + 1}\r\n", response);
    }

    [Fact]
    public void APageServedFromTheSameHostAndPortMayOpenIt()
    {
        Assert.True(WebSocketHandshake.Judge(Valid + "\r\nOrigin: http://localhost:4555").Upgraded);
        Assert.True(WebSocketHandshake.Judge(Valid.Replace("localhost:4555", "vm.lab", StringComparison.Ordinal) + "\r\nOrigin: https://vm.lab").Upgraded);
    }

    [Fact]
    public void PeerTextInAReasonIsCutShort()
    {
        var answer = WebSocketHandshake.Judge(Valid.Replace("GET /", "GET /" + new string('x', 500), StringComparison.Ordinal));

        Assert.Equal(404, answer.Status);
        Assert.True(answer.Reason.Length < 150, answer.Reason);
        Assert.Contains("...", answer.Reason);
    }
}
