using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace CharWeb.Api.Tests;

/// <summary>One server with two chardevs; every bad request must be refused with problem details and change nothing.</summary>
public sealed class BadInputFixture : IAsyncLifetime
{
    public CharWebServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await CharWebServer.StartAsync();
        await Server.CreateAsync("""{"id": "existing", "backend": {"type": "ringbuf", "size": 64}}""");
        await Server.CreateAsync("""{"id": "quiet", "logfile": "quiet.log", "backend": {"type": "null"}}""");
        await Server.CreateAsync("""{"id": "holder", "backend": {"type": "hub", "chardevs": ["existing"]}}""");
        await Server.CreateAsync("""{"id": "recorded", "record": true, "backend": {"type": "null"}}""");
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

public sealed class BadInputTests(BadInputFixture fixture) : IClassFixture<BadInputFixture>
{
    private static readonly string Huge = Convert.ToBase64String(new byte[(1 << 20) + 1]);

    public static TheoryData<string, string, string?, int, string, string> Cases => new()
    {
        // method, path, body, status, field, a fragment of the reason
        { "GET", "/api/chardevs/nosuch", null, 404, "id", "no chardev is named 'nosuch'" },
        { "DELETE", "/api/chardevs/nosuch", null, 404, "id", "nosuch" },
        { "POST", "/api/chardevs/nosuch/write", """{"data": "x"}""", 404, "id", "nosuch" },
        { "PUT", "/api/chardevs/nosuch/backend", """{"type": "null"}""", 404, "id", "nosuch" },
        { "POST", "/api/chardevs", """{"id": "existing", "backend": {"type": "null"}}""", 409, "id", "already in use" },
        { "POST", "/api/chardevs", """{"id": "9lives", "backend": {"type": "null"}}""", 400, "id", "must start with a letter" },
        { "POST", "/api/chardevs", """{"id": "a b", "backend": {"type": "null"}}""", 400, "id", "QEMU's id rule" },
        { "POST", "/api/chardevs", $$$"""{"id": "a{{{new string('b', 128)}}}", "backend": {"type": "null"}}""", 400, "id", "at most 128" },
        { "POST", "/api/chardevs", """{"backend": {"type": "null"}}""", 400, "id", "is required" },
        { "POST", "/api/chardevs", """{"id": "nob"}""", 400, "backend", "is required" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "telepathy"}}""", 400, "backend.type", "known types: exec, file, hub, mux, null, parallel, pipe, pty, ringbuf, serial, socket, testdev, udp" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"size": 64}}""", 400, "backend.type", "is required" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": "ringbuf"}""", 400, "backend.type", "must be an object" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "ringbuf", "size": 5}}""", 400, "backend.size", "power of two" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "ringbuf", "size": 0}}""", 400, "backend.size", "between 1 and" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "ringbuf", "size": 99999999999}}""", 400, "backend.size", "must be an integer" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "ringbuf", "size": "big"}}""", 400, "backend.size", "must be an integer" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "ringbuf", "sise": 64}}""", 400, "backend.sise", "not a known option" },
        { "POST", "/api/chardevs", """{"id": "x", "colour": "red", "backend": {"type": "null"}}""", 400, "colour", "not a known option" },
        { "POST", "/api/chardevs", """{"id": "x", "history": -1, "backend": {"type": "null"}}""", 400, "history", "between 0 and" },
        { "POST", "/api/chardevs", """{"id": "x", "history": 1073741824, "backend": {"type": "null"}}""", 400, "history", "between 0 and" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "../../escape.log", "backend": {"type": "null"}}""", 400, "logfile", "outside the allowed folders" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "file"}}""", 400, "backend.path", "is required" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "file", "path": "/etc/passwd"}}""", 400, "backend.path", "outside the allowed folders" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "file", "path": "no/such/folder/out"}}""", 422, "backend", "No such file or directory" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "charweb.db", "backend": {"type": "null"}}""", 400, "logfile", "CharWeb's own database" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "file", "path": "charweb.db-wal"}}""", 400, "backend.path", "CharWeb's own database" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "file", "path": "quiet.log"}}""", 409, "backend.path", "already used by chardev 'quiet'" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "same.txt", "backend": {"type": "file", "path": "same.txt"}}""", 400, "logfile", "is the same file as backend.path" },
        { "GET", "/api/chardevs/existing/read?format=5", null, 400, "format", "one of: utf8, base64" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "null"}""", 400, "body", "" },
        { "POST", "/api/chardevs", """[{"id": "x"}]""", 400, "body", "" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "exec", "command": "/bin/sh"}}""", 400, "backend.command", "exec is disabled" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "win-stdio"}}""", 400, "backend.type", "Windows-only QEMU backend, not supported on this host; use one of: exec, pty, serial, socket" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "parallel", "path": "/dev/parport7"}}""", 422, "backend", "this host has no parallel port" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 1}}}""", 422, "backend", "Connection refused" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "socket", "addr": {"type": "inet", "host": "10.1.2.3", "port": 22}}}""", 400, "backend.addr", "10.1.2.3:22 is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.0/8, ::1/128)" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "udp", "remote": {"host": "169.254.169.254", "port": 80}}}""", 400, "backend.remote", "169.254.169.254:80 is not an allowed destination" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "pipe", "path": "no-fifo-here"}}""", 422, "backend", "No such file or directory" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "serial", "path": "no-tty-here"}}""", 400, "backend.path", "is not an allowed device (CharWeb:Devices:Allowed: /dev/ttyS*" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "serial", "path": "/dev/pts/0"}}""", 400, "backend.path", "is not an allowed device" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "parallel", "path": "/dev/sda"}}""", 400, "backend.path", "is not an allowed device" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "ringbuf", "size": 1073741824}, "history": 1048576}""", 409, "backend.size", "CharWeb:Limits:MaxBufferBytes" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "mux", "chardevs": ["ghost"]}}""", 400, "backend.chardevs", "no chardev is named 'ghost'" },
        { "DELETE", "/api/chardevs/existing", null, 409, "id", "is used by chardev 'holder'" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 1}, "server": true, "reconnectMs": 5}}""", 400, "backend.reconnectMs", "clients only" },
        { "POST", "/api/chardevs", """{"id": "x", "backend": {"type": "serial", "path": "/dev/ttyS0", "parity": "mark"}}""", 400, "backend.parity", "none, even or odd" },
        { "POST", "/api/chardevs/existing/write", """{"data": "not base64!", "format": "base64"}""", 400, "data", "not valid base64" },
        { "POST", "/api/chardevs/existing/write", """{"format": "utf8"}""", 400, "data", "is required" },
        { "POST", "/api/chardevs/existing/write", """{"data": "x", "format": "hex"}""", 400, "format", "one of: utf8, base64" },
        { "POST", "/api/chardevs/existing/write", $$"""{"data": "{{Huge}}", "format": "base64"}""", 413, "data", "more than the limit of 1048576" },
        { "GET", "/api/chardevs/existing/read?size=0", null, 400, "size", "between 1 and" },
        { "GET", "/api/chardevs/existing/read?size=-5", null, 400, "size", "between 1 and" },
        { "GET", "/api/chardevs/existing/read?size=lots", null, 400, "size", "'lots' is not a valid value" },
        { "GET", "/api/chardevs/existing/read?format=hex", null, 400, "format", "'hex' is not a valid value" },
        { "GET", "/api/chardevs/quiet/read", null, 409, "id", "history 0" },
        { "PUT", "/api/chardevs/existing/backend", """{"type": "ringbuf", "size": 3}""", 400, "size", "power of two" },
        { "PUT", "/api/chardevs/existing/backend", """{"type": "warp"}""", 400, "type", "unknown backend type 'warp'" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "x.log", "logMaxBytes": 4095, "backend": {"type": "null"}}""", 400, "logMaxBytes", "must be at least 4096 and at most 1099511627776 (1 TiB), got 4095" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "x.log", "logMaxBytes": "big", "backend": {"type": "null"}}""", 400, "logMaxBytes", "must be an integer" },
        { "POST", "/api/chardevs", """{"id": "x", "logTimestamps": true, "backend": {"type": "null"}}""", 400, "logTimestamps", "needs a logfile" },
        { "POST", "/api/chardevs", """{"id": "x", "logEvents": true, "backend": {"type": "null"}}""", 400, "logEvents", "needs a logfile" },
        { "POST", "/api/chardevs", """{"id": "x", "logMaxBytes": 65536, "backend": {"type": "null"}}""", 400, "logMaxBytes", "needs a logfile" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "x.log", "logMaxBytes": 65536, "logMaxFiles": 0, "backend": {"type": "null"}}""", 400, "logMaxFiles", "between 1 and 1000" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "x.log", "logMaxFiles": 3, "backend": {"type": "null"}}""", 400, "logMaxFiles", "needs logMaxBytes" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "x.log-20261201-235959", "backend": {"type": "null"}}""", 400, "logfile", "ends as a rotated log's name does" },
        { "GET", "/api/chardevs/quiet/logs/..%2Fcharweb.db", null, 400, "name", "a name is never a path" },
        { "GET", "/api/chardevs/quiet/logs/charweb.db", null, 400, "name", "must be 'quiet.log' or one of its rotated logs" },
        { "GET", "/api/chardevs/quiet/logs/quiet.log-20261201-235959%2F..%2F..%2Fcharweb.db", null, 400, "name", "a name is never a path" },
        { "GET", "/api/chardevs/quiet/logs/quiet.log-20261201-235959", null, 404, "name", "no log of chardev 'quiet' is named 'quiet.log-20261201-235959'" },
        { "GET", "/api/chardevs/existing/log", null, 409, "logfile", "is not set for this chardev" },
        { "GET", "/api/chardevs/existing/logs", null, 409, "logfile", "is not set for this chardev" },
        { "POST", "/api/chardevs", """{"id": "x", "record": true, "recordMaxBytes": 100, "backend": {"type": "null"}}""", 400, "recordMaxBytes", "at least 4096" },
        { "GET", "/api/chardevs/existing/recording?from=5&to=1", null, 400, "from", "must not be after 'to'" },
        { "GET", "/api/chardevs/existing/recording?from=-1", null, 400, "from", "0 or more" },
        { "GET", "/api/chardevs/existing/recording", null, 409, "record", "is not set for this chardev" },
        { "GET", "/api/chardevs/recorded/recordings/..%2Fcharweb.db", null, 400, "name", "a name is never a path" },
        { "POST", "/api/chardevs", """{"id": "x", "logfile": "records/recorded.cast", "backend": {"type": "null"}}""", 409, "logfile", "already used by chardev 'recorded'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task IsRefusedWithProblemDetailsNamingTheFieldAndChangesNothing(string method, string path, string? body, int status, string field, string reason)
    {
        var server = fixture.Server;
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await server.Http.SendAsync(request, CharWebServer.Timeout());
        var problem = await Problem.ReadAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(status, problem.Status);
        Assert.StartsWith("urn:charweb:problem:", problem.Type);
        Assert.True(problem.Errors.ContainsKey(field), $"errors name {string.Join(", ", problem.Errors.Keys)}, not {field}: {problem.Detail}");
        Assert.Contains(reason, string.Join(" ", problem.Errors[field]));
        Assert.Equal(["existing", "holder", "quiet", "recorded"], (await server.ListAsync()).Select(c => c!["id"]!.GetValue<string>()));
        Assert.Equal(4, await StoredRowsAsync(server));
        Assert.Equal(64, (await server.GetAsync("existing"))["backend"]!["size"]!.GetValue<int>());
    }

    [Fact]
    public async Task BodyOverTheServerLimitIsRefusedBeforeItIsRead()
    {
        var body = $$"""{"data": "{{new string('A', 3 << 20)}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chardevs/existing/write")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };

        // As curl does for large bodies: the server refuses before the body is sent, so no broken pipe.
        request.Headers.ExpectContinue = true;
        using var response = await fixture.Server.Http.SendAsync(request, CharWebServer.Timeout());
        var problem = await Problem.ReadAsync(response);

        Assert.Equal(413, problem.Status);
        Assert.True(problem.Errors.ContainsKey("body"));
    }

    private static async Task<long> StoredRowsAsync(CharWebServer server)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "charweb.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(CharWebServer.Timeout());
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM chardevs";
        return (long)(await command.ExecuteScalarAsync(CharWebServer.Timeout()))!;
    }
}
