using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests.Qmp;

/// <summary>The examples of QEMU's qapi/char.json against <c>POST /api/qmp</c>; /tmp paths live in an allowed folder.</summary>
public sealed class QmpTests
{
    [Fact]
    public async Task CharJsonExamplesWorkAndMakeTheSameChardevsRestSees()
    {
        var tmp = Directory.CreateTempSubdirectory("charweb-qmp-").FullName;
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["CharWeb:AllowedPaths:0"] = tmp });

        Assert.Equal("""{"return":{}}""", await QmpAsync(server, """
            { "execute" : "chardev-add",
              "arguments" : { "id" : "foo", "backend" : { "type" : "null", "data" : {} } } }
            """));
        Assert.Equal("""{"return":{}}""", await QmpAsync(server, $$"""
            { "execute" : "chardev-add",
              "arguments" : { "id" : "bar", "backend" : { "type" : "file", "data" : { "out" : "{{tmp}}/bar.log" } } } }
            """));
        var pty = JsonNode.Parse(await QmpAsync(server, """
            { "execute" : "chardev-add", "arguments" : { "id" : "baz", "backend" : { "type" : "pty", "data" : {} } } }
            """))!["return"]!["pty"]!.GetValue<string>();
        Assert.Matches(@"^/dev/pts/\d+$", pty);
        Assert.Equal(pty, (await server.GetAsync("baz"))["ptyPath"]!.GetValue<string>());
        Assert.Equal("file", (await server.GetAsync("bar"))["backend"]!["type"]!.GetValue<string>());

        var changed = JsonNode.Parse(await QmpAsync(server, """
            { "execute" : "chardev-change", "arguments" : { "id" : "baz", "backend" : { "type" : "pty", "data" : {} } } }
            """))!["return"]!["pty"]!.GetValue<string>();
        Assert.Matches(@"^/dev/pts/\d+$", changed);

        Assert.Equal("""{"return":{}}""", await QmpAsync(server, """{ "execute" : "chardev-add", "arguments" : { "id" : "charchannel2", "backend" : { "type" : "null", "data" : {} } } }"""));
        Assert.Equal("""{"return":{}}""", await QmpAsync(server, $$$$"""
            {"execute" : "chardev-change",
             "arguments" : {
                 "id" : "charchannel2",
                 "backend" : {
                     "type" : "socket",
                     "data" : {
                         "addr" : { "type" : "unix" , "data" : { "path" : "{{{{tmp}}}}/charchannel2.socket" } },
                         "server" : true,
                         "wait" : false } } } }
            """));
        var channel = await server.GetAsync("charchannel2");
        Assert.Equal("listening", channel["state"]!.GetValue<string>());
        Assert.Equal($"disconnected:unix:{tmp}/charchannel2.socket,server=on", channel["filename"]!.GetValue<string>());

        var query = JsonNode.Parse(await QmpAsync(server, """{ "execute": "query-chardev" }"""))!["return"]!.AsArray();
        var fooEntry = query.Single(c => c!["label"]!.GetValue<string>() == "foo")!;
        Assert.Equal("null", fooEntry["filename"]!.GetValue<string>());
        Assert.False(fooEntry["frontend-open"]!.GetValue<bool>());

        Assert.Equal("""{"return":{}}""", await QmpAsync(server, """{ "execute": "chardev-send-break", "arguments": { "id" : "foo" } }"""));
        Assert.Equal("""{"return":{}}""", await QmpAsync(server, """{ "execute": "chardev-remove", "arguments": { "id" : "foo" } }"""));
        using var gone = await server.Http.GetAsync("/api/chardevs/foo", CharWebServer.Timeout());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task RingbufWriteAndReadAsInCharJson()
    {
        await using var server = await CharWebServer.StartAsync();
        await QmpAsync(server, """{ "execute": "chardev-add", "arguments": { "id": "foo", "backend": { "type": "ringbuf", "data": { "size": 1024 } } } }""");

        Assert.Equal("""{"return":{}}""", await QmpAsync(server, """{ "execute": "ringbuf-write", "arguments": { "device": "foo", "data": "abcdefgh", "format": "utf8" } }"""));
        Assert.Equal("""{"return":"abcdefgh"}""", await QmpAsync(server, """{ "execute": "ringbuf-read", "arguments": { "device": "foo", "size": 1000, "format": "utf8" } }"""));
        Assert.Equal("""{"return":""}""", await QmpAsync(server, """{ "execute": "ringbuf-read", "arguments": { "device": "foo", "size": 1000, "format": "utf8" } }"""));
        Assert.Equal(8, (await server.GetAsync("foo"))["stats"]!["inputBytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task SocketWithInetPortAsAStringAndLogfileFromChardevCommon()
    {
        await using var server = await CharWebServer.StartAsync();

        var answer = await QmpAsync(server, """
            { "execute": "chardev-add", "arguments": { "id": "tcp0", "backend": { "type": "socket", "data": {
                "addr": { "type": "inet", "data": { "host": "127.0.0.1", "port": "0" } },
                "server": true, "wait": false, "telnet": true, "logfile": "tcp0.log", "logappend": true } } }, "id": 7 }
            """);

        Assert.Equal("""{"return":{},"id":7}""", answer);
        var created = await server.GetAsync("tcp0");
        Assert.Equal("tcp0.log", created["logfile"]!.GetValue<string>());
        Assert.True(created["logappend"]!.GetValue<bool>());
        Assert.True(created["backend"]!["telnet"]!.GetValue<bool>());
        Assert.StartsWith("disconnected:telnet:127.0.0.1:", created["filename"]!.GetValue<string>());
    }

    [Fact]
    public async Task AFileAndALogfileNamedWithDigitsOnlyStayStrings()
    {
        await using var server = await CharWebServer.StartAsync();

        Assert.Equal("""{"return":{}}""", await QmpAsync(server, """
            { "execute": "chardev-add", "arguments": { "id": "f0", "backend": { "type": "file", "data": { "out": "2026", "logfile": "12345" } } } }
            """));

        var created = await server.GetAsync("f0");
        Assert.Equal("2026", created["backend"]!["path"]!.GetValue<string>());
        Assert.Equal("12345", created["logfile"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(server.DataDir, "2026")));
    }

    [Fact]
    public async Task QemusUdpAndHostdevFormsMapToRemoteLocalAndPath()
    {
        await using var server = await CharWebServer.StartAsync();
        using var peer = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)peer.Client.LocalEndPoint!).Port;

        Assert.Equal("""{"return":{}}""", await QmpAsync(server, $$"""
            { "execute": "chardev-add", "arguments": { "id": "u0", "backend": { "type": "udp", "data": {
                "remote": { "type": "inet", "data": { "host": "127.0.0.1", "port": "{{port}}" } },
                "local": { "type": "inet", "data": { "host": "127.0.0.1", "port": "0" } } } } } }
            """));
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(server.DataDir, "p0")]))
        {
            await mkfifo.WaitForExitAsync(CharWebServer.Timeout());
            Assert.Equal(0, mkfifo.ExitCode);
        }

        Assert.Equal("""{"return":{}}""", await QmpAsync(server, """{ "execute": "chardev-add", "arguments": { "id": "p0", "backend": { "type": "pipe", "data": { "device": "p0" } } } }"""));

        var udp = await server.GetAsync("u0");
        Assert.Equal(port, udp["backend"]!["remote"]!["port"]!.GetValue<int>());
        Assert.Equal("127.0.0.1", udp["backend"]!["local"]!["host"]!.GetValue<string>());
        Assert.Equal("p0", (await server.GetAsync("p0"))["backend"]!["path"]!.GetValue<string>());

        // Input to the udp chardev is a datagram at the peer.
        using var write = await server.PostJsonAsync("/api/chardevs/u0/write", """{"data": "ping"}""");
        Assert.Equal(System.Net.HttpStatusCode.OK, write.StatusCode);
        var datagram = await peer.ReceiveAsync(CharWebServer.Timeout());
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(datagram.Buffer));

        // A serial device takes QAPI's "device" too: refused here by the device allow-list, naming CharWeb's field.
        var serial = JsonNode.Parse(await QmpAsync(server, """{ "execute": "chardev-add", "arguments": { "id": "s0", "backend": { "type": "serial", "data": { "device": "/dev/pts/0" } } } }"""))!;
        Assert.Contains("CharWeb:Devices:Allowed", serial["error"]!["desc"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{ "execute": "chardev-add", "arguments": { "id": "x", "backend": { "type": "udp", "data": { "remote": { "type": "unix", "data": { "path": "s" } } } } } }""", "GenericError", "a udp chardev takes an inet address")]
    [InlineData("""{ "execute": "no-such-command" }""", "CommandNotFound", "The command no-such-command has not been found")]
    [InlineData("""{ "execute": "chardev-remove", "arguments": { "id": "ghost" } }""", "GenericError", "Chardev 'ghost' not found")]
    [InlineData("""{ "execute": "chardev-add", "arguments": { "id": "dup", "backend": { "type": "null", "data": {} } } }""", "GenericError", "attempt to add duplicate property 'dup' to object (type 'container')")]
    [InlineData("""{ "execute": "chardev-add", "arguments": { "backend": { "type": "null", "data": {} } } }""", "GenericError", "Parameter 'id' is missing")]
    [InlineData("""{ "execute": "chardev-add", "arguments": { "id": "x", "backend": { "type": "warp", "data": {} } } }""", "GenericError", "Parameter 'backend.type' does not accept value 'warp'")]
    [InlineData("""{ "execute": "chardev-add", "arguments": { "id": "x", "backend": { "type": "ringbuf", "data": { "size": 3 } } } }""", "GenericError", "must be a power of two")]
    [InlineData("""{ "execute": "ringbuf-read", "arguments": { "device": "dup", "size": 10 } }""", "GenericError", "dup is not a ringbuf device")]
    [InlineData("""{ "execute": "ringbuf-write", "arguments": { "device": "nope", "data": "x" } }""", "DeviceNotFound", "Device 'nope' not found")]
    [InlineData("""{ "execute": "chardev-add", "arguments": { "id": "x", "backend": { "type": "file", "data": { "out": "/etc/x" } } } }""", "GenericError", "outside the allowed folders")]
    [InlineData("""{ "execute": "chardev-add", "arguments": { "id": "x", "backend": { "type": "console", "data": {} } } }""", "GenericError", "'console' is a Windows-only QEMU backend, not supported on this host")]
    [InlineData("""{ "execute": """, "GenericError", "JSON parse error")]
    [InlineData("""{ "arguments": {} }""", "GenericError", "Expected 'execute'")]
    public async Task ErrorsAreQmpErrorsWithQemuClassesAndNothingChanges(string command, string errorClass, string desc)
    {
        await using var server = await CharWebServer.StartAsync();
        await QmpAsync(server, """{ "execute": "chardev-add", "arguments": { "id": "dup", "backend": { "type": "null", "data": {} } } }""");

        var error = JsonNode.Parse(await QmpAsync(server, command))!["error"]!;

        Assert.Equal(errorClass, error["class"]!.GetValue<string>());
        Assert.Contains(desc, error["desc"]!.GetValue<string>());
        Assert.Equal(["dup"], (await server.ListAsync()).Select(c => c!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task QueryChardevBackendsListsEveryKindAndAlias()
    {
        await using var server = await CharWebServer.StartAsync();

        var names = JsonNode.Parse(await QmpAsync(server, """{ "execute": "query-chardev-backends" }"""))!["return"]!.AsArray().Select(n => n!["name"]!.GetValue<string>()).ToList();

        Assert.Contains("memory", names);
        Assert.Contains("socket", names);
        Assert.Contains("pty", names);
    }

    private static async Task<string> QmpAsync(CharWebServer server, string command)
    {
        using var response = await server.PostJsonAsync("/api/qmp", command);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonNode>(CharWebServer.Timeout()))!.ToJsonString();
    }
}
