using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;

namespace CharWeb.Api.Tests.Reliability;

/// <summary>
/// Hundreds of generated bad requests against REST, QMP and the console hub, from a seeded
/// <see cref="Random"/> (set <c>CHARWEB_FUZZ_SEED</c> to replay another run). Every REST refusal must
/// be a 4xx with problem details, every QMP refusal an in-band QMP error, every hub refusal an error
/// on a connection that stays usable; afterwards the chardevs, the database and the health are as before.
/// All offenders are collected and reported together, each with the request that caused it.
/// </summary>
public sealed partial class FuzzedInputTests
{
    private const int DefaultSeed = 20261125;
    private const string ProblemPrefix = "urn:charweb:problem:";
    private const int BodyLimit = (2 << 20) + (64 << 10);

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// What the server holds before the fuzzing: "holder" keeps "quiet" busy so removing it is refused; "spare"
    /// (no history, never written) is only the target of the self-reference cases, which spin forever on a chardev with history.
    /// </summary>
    private static readonly string[] Setup =
    [
        """{"id": "rb", "backend": {"type": "ringbuf", "size": 1024}}""",
        """{"id": "echo", "history": 4096, "backend": {"type": "testdev"}}""",
        """{"id": "quiet", "backend": {"type": "null"}}""",
        """{"id": "holder", "backend": {"type": "hub", "chardevs": ["quiet"]}}""",
        """{"id": "spare", "backend": {"type": "null"}}""",
    ];

    private static readonly string[] Existing = ["rb", "echo", "quiet", "holder"];

    /// <summary>Ids that name no chardev, for paths. No NUL: Kestrel refuses it in the request line before CharWeb sees it.</summary>
    private static readonly string[] UnknownIds =
    [
        "nosuch", "RB", "Rb", "ECHO", " ", "a b", " rb", "rb ", "rb\t", "r\nb", "\u0001", "esc\u001b[31m", "del\u007f", "\u0085next",
        "é", "ñandú", "日本語", "rb\u200b", "\u202erb", "🙂", "Ｒb", "ﬁle", "../rb", "../../etc/passwd", "/etc/passwd", "..", ".", "./rb",
        "a/b", "a\\b", "%2e%2e", "rb%00", "9lives", "-x", "_x", ".x", "x'; DROP TABLE chardevs;--", "<script>alert(1)</script>", "{id}",
        "a" + new string('b', 128), new string('z', 200), "rb?size=1", "rb#frag",
    ];

    /// <summary>Ids that break QEMU's rule (or the 128 limit), for bodies: none may ever be created.</summary>
    private static readonly string[] BadNewIds =
    [
        "", " ", "a b", " fz", "fz ", "fz\t", "f\nz", "\u0000", "fz\u0000", "\u0001", "esc\u001b[31m", "del\u007f", "\u0085next", "é", "ñandú",
        "日本語", "fz\u200b", "\u202efz", "🙂", "Ｒb", "ﬁle", "../fz", "../../etc/passwd", "/etc/passwd", "..", ".", "./fz", "a/b", "a\\b",
        "%2e%2e", "9lives", "-x", "_x", ".x", "x'; DROP TABLE chardevs;--", "<script>alert(1)</script>", "{id}", "a" + new string('b', 128),
        new string('z', 200), "fz:1", "fz,server=on",
    ];

    /// <summary>File paths that leave the data folder, name a folder, the database, or carry control characters.</summary>
    private static readonly string[] BadPaths =
    [
        "../escape.txt", "../../../../etc/passwd", "/etc/passwd", "/tmp/charweb-fuzz-absolute", "sub/../../outside.txt", "/", "..", ".",
        "//etc//passwd", "/proc/self/environ", "/dev/null", "folder/", "charweb.db", "charweb.db-wal", "", "   ", "bell\u0007.txt",
        "new\nline.txt", "nul\u0000.txt",
    ];

    private static readonly string[] ValidBackends = ["""{"type": "null"}""", """{"type": "testdev"}""", """{"type": "ringbuf", "size": 64}"""];

    /// <summary>Backends refused whatever chardev they are given to: bad numbers, bad enums, unknown kinds and options, missing parts.</summary>
    private static readonly string[] BadBackends =
    [
        """{"type": "ringbuf", "size": 0}""", """{"type": "ringbuf", "size": 3}""", """{"type": "ringbuf", "size": -64}""",
        """{"type": "ringbuf", "size": 1.5}""", """{"type": "ringbuf", "size": 1e30}""", """{"type": "ringbuf", "size": 2147483648}""",
        """{"type": "ringbuf", "size": 2147483647}""", """{"type": "ringbuf", "size": -2147483648}""", """{"type": "ringbuf", "size": 2147483648000000000000}""",
        """{"type": "ringbuf", "size": 2147483648, "size": 64, "size": -1}""", """{"type": "ringbuf", "sise": 64}""",
        """{"type": "null", "size": 64}""", """{"type": "testdev", "colour": "red"}""", """{"type": "null", "nested": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}""",
        """{"type": "file"}""", """{"type": "file", "path": "fz-ok.txt", "append": "yes"}""", """{"type": "file", "path": "no/such/folder/out.txt"}""",
        "{\"type\": \"file\", \"path\": \"" + new string('f', 300) + "\"}",
        """{"type": "pipe"}""", """{"type": "pipe", "path": "no-fifo-here"}""",
        """{"type": "socket"}""", """{"type": "socket", "addr": null}""", """{"type": "socket", "addr": "127.0.0.1:4555"}""",
        """{"type": "socket", "addr": {"type": "vsock", "host": "127.0.0.1", "port": 4555}, "server": true}""",
        """{"type": "socket", "addr": {"type": "INET", "host": "127.0.0.1", "port": 0}, "server": true}""",
        """{"type": "socket", "addr": {"type": "", "host": "127.0.0.1", "port": 0}, "server": true}""",
        """{"type": "socket", "addr": {"type": null, "host": "127.0.0.1", "port": 0}, "server": true}""",
        """{"type": "socket", "addr": {"type": "fd", "str": "3"}, "server": true}""",
        """{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": -1}, "server": true}""",
        """{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 65536}, "server": true}""",
        """{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 99999999999}, "server": true}""",
        """{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}}""",
        """{"type": "socket", "addr": {"type": "inet", "host": "", "port": 0}, "server": true}""",
        """{"type": "socket", "addr": {"type": "inet", "port": 0}, "server": true}""",
        """{"type": "socket", "addr": {"type": "unix"}, "server": true}""",
        "{\"type\": \"socket\", \"addr\": {\"type\": \"unix\", \"path\": \"" + new string('s', 200) + ".sock\"}, \"server\": true}",
        """{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true, "reconnectMs": 1000}""",
        """{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true, "wait": "on"}""",
        """{"type": "udp"}""", """{"type": "udp", "remote": null}""", """{"type": "udp", "remote": "127.0.0.1:9"}""",
        """{"type": "udp", "remote": {"host": "127.0.0.1", "port": 0}}""", """{"type": "udp", "remote": {"host": "127.0.0.1", "port": 70000}}""",
        """{"type": "udp", "remote": {"host": "127.0.0.1", "port": -9}}""", """{"type": "udp", "remote": {"host": "", "port": 9}}""",
        """{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}, "local": {"host": "127.0.0.1", "port": -1}}""",
        """{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}, "local": {"host": "127.0.0.1", "port": 70000}}""",
        """{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}, "local": {"host": "", "port": 0}}""",
        """{"type": "serial"}""", """{"type": "serial", "path": ""}""",
        """{"type": "serial", "path": "/nonexistent/ttyS9", "parity": "mark"}""", """{"type": "serial", "path": "/nonexistent/ttyS9", "parity": "space"}""",
        """{"type": "serial", "path": "/nonexistent/ttyS9", "parity": "NONE"}""", """{"type": "serial", "path": "/nonexistent/ttyS9", "parity": "n"}""",
        """{"type": "serial", "path": "/nonexistent/ttyS9", "baud": -1}""", """{"type": "serial", "path": "/nonexistent/ttyS9", "baud": 123}""",
        """{"type": "serial", "path": "/nonexistent/ttyS9", "baud": 0}""", """{"type": "serial", "path": "/nonexistent/ttyS9", "baud": 1e12}""",
        """{"type": "serial", "path": "/nonexistent/ttyS9", "dataBits": 9}""", """{"type": "serial", "path": "/nonexistent/ttyS9", "dataBits": 4}""",
        """{"type": "serial", "path": "/nonexistent/ttyS9", "stopBits": 3}""", """{"type": "serial", "path": "/nonexistent/ttyS9", "stopBits": 0}""",
        """{"type": "serial", "path": "/nonexistent/ttyS9"}""", """{"type": "serial", "path": "/etc/passwd"}""",
        """{"type": "parallel", "path": "/nonexistent/parport9"}""", """{"type": "parallel", "path": ""}""", """{"type": "parallel", "path": "/etc/passwd"}""",
        """{"type": "pty", "cols": 0}""", """{"type": "pty", "rows": 0}""", """{"type": "pty", "cols": 1001}""", """{"type": "pty", "rows": -1}""",
        """{"type": "pty", "cols": -2147483648, "rows": 2147483647}""", """{"type": "pty", "cols": 80.5}""", """{"type": "pty", "cols": 1e20}""",
        """{"type": "exec", "command": "/bin/sh"}""", """{"type": "exec", "command": "../../bin/sh"}""", """{"type": "exec", "command": ""}""",
        """{"type": "exec", "command": "/bin/true", "cols": 0}""", """{"type": "exec"}""",
        """{"type": "mux", "chardevs": []}""", """{"type": "mux", "chardevs": ["ghost"]}""", """{"type": "mux"}""",
        """{"type": "mux", "chardevs": ["rb", "rb"]}""", """{"type": "mux", "chardevs": ["ghost"], "escapeChar": 0}""",
        """{"type": "hub", "chardevs": []}""", """{"type": "hub", "chardevs": ["ghost", "../rb"]}""", """{"type": "hub", "chardevs": ["echo", "echo"]}""",
        """{"type": "telepathy"}""", """{"type": ""}""", """{"type": "RINGBUF"}""", """{"type": "Null"}""", """{"type": " null"}""",
        """{"type": "null "}""", """{"type": "null\u0000"}""", """{"type": "null\n"}""", """{"type": "ｎull"}""", """{"type": "spicevmc"}""",
        """{"type": "braille"}""", """{"type": "msmouse"}""", """{"type": "qemu-vdagent"}""", """{"type": "console"}""", """{"type": "win"}""",
        """{"type": "win-stdio"}""", """{"type": "stdio"}""", """{"type": "vc"}""",
        """{"type": 5}""", """{"type": null}""", """{"type": true}""", """{"type": []}""", """{"type": {"type": "null"}}""", """{"size": 64}""",
        """{}""", """{"type": "ringbuf", "data": {"size": 64}}""", """{"type": "null", "type": "warp"}""",
    ];

    /// <summary>Backends whose only fault is a child that "holder" already uses: refused for every chardev but holder.</summary>
    private static readonly string[] ClaimedChildren = ["""{"type": "hub", "chardevs": ["quiet"]}""", """{"type": "mux", "chardevs": ["echo", "quiet"]}"""];

    /// <summary>Valid options of every kind, and the JSON type of each field, for wrong-typed values.</summary>
    private static readonly (string Backend, string Field, string Kind)[] TypedFields =
    [
        ("""{"type": "ringbuf", "size": 64}""", "size", "int"),
        ("""{"type": "file", "path": "fz-typed.txt"}""", "path", "string"),
        ("""{"type": "file", "path": "fz-typed.txt", "in": "fz-in.txt"}""", "in", "string?"),
        ("""{"type": "file", "path": "fz-typed.txt"}""", "append", "bool"),
        ("""{"type": "pipe", "path": "fz-pipe"}""", "path", "string"),
        ("""{"type": "pty", "cols": 80, "rows": 24}""", "cols", "int"),
        ("""{"type": "pty", "cols": 80, "rows": 24}""", "rows", "int"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}""", "addr", "object"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}""", "addr.type", "string"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}""", "addr.host", "string"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}""", "addr.port", "int"),
        ("""{"type": "socket", "addr": {"type": "unix", "path": "fz.sock"}, "server": true}""", "addr.path", "string"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}""", "server", "bool"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}""", "wait", "bool"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}""", "nodelay", "bool"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}""", "telnet", "bool"),
        ("""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 1}, "reconnectMs": 1000}""", "reconnectMs", "int?"),
        ("""{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}}""", "remote", "object"),
        ("""{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}}""", "remote.host", "string"),
        ("""{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}}""", "remote.port", "int"),
        ("""{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}, "local": {"host": "127.0.0.1", "port": 0}}""", "local", "object?"),
        ("""{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}, "local": {"host": "127.0.0.1", "port": 0}}""", "local.port", "int"),
        ("""{"type": "serial", "path": "/nonexistent/ttyS9"}""", "path", "string"),
        ("""{"type": "serial", "path": "/nonexistent/ttyS9"}""", "baud", "int"),
        ("""{"type": "serial", "path": "/nonexistent/ttyS9"}""", "dataBits", "int"),
        ("""{"type": "serial", "path": "/nonexistent/ttyS9"}""", "parity", "string"),
        ("""{"type": "serial", "path": "/nonexistent/ttyS9"}""", "stopBits", "int"),
        ("""{"type": "parallel", "path": "/nonexistent/parport9"}""", "path", "string"),
        ("""{"type": "exec", "command": "/bin/true"}""", "command", "string"),
        ("""{"type": "exec", "command": "/bin/true"}""", "args", "list"),
        ("""{"type": "exec", "command": "/bin/true"}""", "cols", "int"),
        ("""{"type": "exec", "command": "/bin/true"}""", "restart", "bool"),
        ("""{"type": "mux", "chardevs": ["rb"]}""", "chardevs", "list"),
        ("""{"type": "mux", "chardevs": ["rb"]}""", "escapeChar", "int"),
        ("""{"type": "hub", "chardevs": ["rb"]}""", "chardevs", "list"),
    ];

    /// <summary>Values of the wrong JSON type for each kind of field; null only where the field may not be null.</summary>
    private static readonly Dictionary<string, string[]> WrongTypes = new()
    {
        ["int"] = ["\"64\"", "true", "[]", "{}", "1.5", "1e3", "\"\"", "[64]", "null"],
        ["int?"] = ["\"64\"", "true", "[]", "{}", "1.5", "1e3", "\"\"", "[64]"],
        ["string"] = ["5", "true", "[]", "{}", "[\"fz.txt\"]", "1e3", "null"],
        ["string?"] = ["5", "true", "[]", "{}", "[\"fz.txt\"]", "1e3"],
        ["bool"] = ["\"true\"", "1", "[]", "{}", "\"on\"", "null"],
        ["object"] = ["\"x\"", "5", "true", "[]", "null"],
        ["object?"] = ["\"x\"", "5", "true", "[]"],
        ["list"] = ["\"rb\"", "5", "true", "{}", "[5]", "[[\"rb\"]]", "[null]", "[\"rb\", null]", "null"],
    };

    /// <summary>Top-level create fields with values of the wrong type or out of range; id and backend stay valid.</summary>
    private static readonly string[] BadCreateExtras =
    [
        "\"history\": -1", "\"history\": 16777217", "\"history\": 1.5", "\"history\": \"64\"", "\"history\": null", "\"history\": 1e20",
        "\"history\": 2147483648", "\"history\": true", "\"history\": []", "\"logfile\": 5", "\"logfile\": true", "\"logfile\": []",
        "\"logfile\": {}", "\"logappend\": \"yes\"", "\"logappend\": 1", "\"logappend\": null", "\"logappend\": []", "\"colour\": \"red\"",
        "\"backends\": []", "\"source\": \"config\"", "\"createdAt\": \"2026-01-01T00:00:00Z\"", "\"stats\": {}",
    ];

    private static readonly string[] BadWriteBodies =
    [
        "{}", """{"data": null}""", """{"data": 5}""", """{"data": true}""", """{"data": []}""", """{"data": {}}""", """{"data": ["aGk="]}""",
        """{"data": 1e400}""", """{"data": "x", "format": "hex"}""", """{"data": "x", "format": ""}""", """{"data": "x", "format": "utf-8"}""",
        """{"data": "x", "format": "base-64"}""", """{"data": "x", "format": "ascii"}""", """{"data": "x", "format": 5}""",
        """{"data": "x", "format": 0}""", """{"data": "x", "format": 1}""", """{"data": "x", "format": true}""", """{"data": "x", "format": null}""",
        """{"data": "x", "format": []}""", """{"data": "x", "format": {}}""", """{"data": "x", "format": "utf8", "format": "hex"}""",
        """{"data": "!!!", "format": "base64"}""", """{"data": "abc", "format": "base64"}""", """{"data": "YQ", "format": "base64"}""",
        """{"data": "a===", "format": "base64"}""", """{"data": "aGVsbG8=\u0000", "format": "base64"}""", """{"data": "x", "colour": "red"}""",
        """{"format": "utf8"}""", """{"data": "x", "accepted": 1}""", "[]", "\"x\"", "5", "null", "true",
    ];

    private static readonly string[] BadReadQueries =
    [
        "size=0", "size=-1", "size=-2147483648", "size=2147483648", "size=99999999999", "size=1.5", "size=abc", "size=1e3", "size=0x10",
        "size=16777217", "size=%00", "size=1&size=2", "size=%E2%80%AE", "format=hex", "format=2", "format=-1", "format=utf-8", "format=base%2064",
        "format=%E2%80%AE", "format=%00", "size=64&format=hex", "size=-5&format=nope",
    ];

    private static readonly string[] WrongContentTypes =
    [
        "text/plain", "application/xml", "text/html", "application/octet-stream", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "image/png",
    ];

    [Fact]
    public async Task GeneratedBadRequestsAreRefusedCleanlyAndChangeNothing()
    {
        await using var server = await CharWebServer.StartAsync();

        var run = await FuzzAsync(server, r => r.RestCases(), r => r.QmpCases(), r => r.HubAsync());

        Report(run, rest: 300, qmp: 60, hub: 40);
    }

    /// <summary>
    /// Makes <see cref="Setup"/>, sends every generated request, then checks that the chardev list, the stored
    /// rows and the health are as before. <paramref name="world"/> describes what else no refusal may touch
    /// (files, sockets); it is compared after every request, so an offender is named by the request that did it.
    /// </summary>
    private static async Task<FuzzRun> FuzzAsync(
        CharWebServer server, Func<FuzzRun, IEnumerable<RestCase>> rest, Func<FuzzRun, IEnumerable<QmpCase>> qmp, Func<FuzzRun, Task> hub, Func<string>? world = null)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CHARWEB_FUZZ_SEED"), out var given) ? given : DefaultSeed;
        var clock = Stopwatch.StartNew();
        foreach (var definition in Setup)
        {
            await server.CreateAsync(definition);
        }

        using (var primed = await server.PostJsonAsync("/api/chardevs/echo/write", """{"data": "primed "}"""))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, primed.StatusCode);
        }

        var listed = await server.ListAsync();
        var before = Definitions(listed);
        var backends = listed.ToDictionary(c => c!["id"]!.GetValue<string>(), c => c!["backend"]!.ToJsonString());
        var rowsBefore = await StoredRowsAsync(server);
        Assert.Equal(Setup.Length, rowsBefore.Count);

        var run = new FuzzRun(server, seed, clock, backends, world);
        foreach (var request in rest(run))
        {
            if (!await run.SendRestAsync(request))
            {
                break;
            }
        }

        foreach (var command in qmp(run))
        {
            if (!await run.SendQmpAsync(command))
            {
                break;
            }
        }

        await hub(run);

        var after = Definitions(await server.ListAsync());
        if (!before.SequenceEqual(after))
        {
            run.Failures.Add($"the chardev list changed:\n  before: {string.Join("\n          ", before)}\n  after:  {string.Join("\n          ", after)}");
        }

        var rowsAfter = await StoredRowsAsync(server);
        if (!rowsBefore.SequenceEqual(rowsAfter))
        {
            run.Failures.Add($"the database changed: {rowsBefore.Count} rows before, {rowsAfter.Count} after:\n  before: {string.Join("\n          ", rowsBefore)}\n  after:  {string.Join("\n          ", rowsAfter)}");
        }

        using (var health = await server.Http.GetAsync("/healthz", CharWebServer.Timeout()))
        {
            var body = await health.Content.ReadAsStringAsync(CharWebServer.Timeout());
            if (!health.IsSuccessStatusCode || JsonNode.Parse(body)?["status"]?.GetValue<string>() != "healthy")
            {
                run.Failures.Add($"GET /healthz -> {(int)health.StatusCode} {body}");
            }
        }

        return run;
    }

    /// <summary>Fails with every offender at once, after checking that enough requests of each surface were sent.</summary>
    private static void Report(FuzzRun run, int rest, int qmp, int hub)
    {
        var summary = $"seed {run.Seed} (CHARWEB_FUZZ_SEED): {run.Total} bad requests in {run.Elapsed.TotalSeconds:F1} s: " +
            $"REST {run.Count("rest")}, QMP {run.Count("qmp")}, hub {run.Count("hub")}; {run.Distribution()}";
        TestContext.Current.SendDiagnosticMessage(summary);
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        Assert.True(run.Count("rest") >= rest && run.Count("qmp") >= qmp && run.Count("hub") >= hub, "too few generated requests: " + summary);
        Assert.True(run.Failures.Count == 0, $"{run.Failures.Count} offenders; {summary}\n\n{string.Join("\n\n", run.Failures)}");
    }

    /// <summary>The parts of a chardev that bad input must not change: identity and definition, not counters or consoles.</summary>
    private static List<string> Definitions(JsonArray list) =>
        list.Select(node => node!.AsObject()).Select(c => new JsonObject
        {
            ["id"] = c["id"]?.DeepClone(),
            ["backend"] = c["backend"]?.DeepClone(),
            ["logfile"] = c["logfile"]?.DeepClone(),
            ["logappend"] = c["logappend"]?.DeepClone(),
            ["history"] = c["history"]?.DeepClone(),
            ["filename"] = c["filename"]?.DeepClone(),
            ["ptyPath"] = c["ptyPath"]?.DeepClone(),
            ["source"] = c["source"]?.DeepClone(),
            ["createdAt"] = c["createdAt"]?.DeepClone(),
        }.ToJsonString()).ToList();

    /// <summary>The stored rows; a database that cannot be read any more is one line saying why, so the comparison reports it.</summary>
    private static async Task<List<string>> StoredRowsAsync(CharWebServer server)
    {
        try
        {
            return await ReadRowsAsync(server);
        }
        catch (SqliteException ex)
        {
            return [$"(the database cannot be read: {ex.Message})"];
        }
    }

    private static async Task<List<string>> ReadRowsAsync(CharWebServer server)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "charweb.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(CharWebServer.Timeout());
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, definition FROM chardevs ORDER BY id";
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(CharWebServer.Timeout());
        while (await reader.ReadAsync(CharWebServer.Timeout()))
        {
            rows.Add($"{reader.GetString(0)} {reader.GetString(1)}");
        }

        return rows;
    }

    private static string Q(string text) => JsonSerializer.Serialize(text, Relaxed);

    private static string Id(string id) => Uri.EscapeDataString(id);

    /// <summary>A body or answer as one readable line: control characters escaped, long ones cut.</summary>
    private static string Excerpt(string? text, int max = 220)
    {
        if (text is null)
        {
            return "(no body)";
        }

        var shown = new StringBuilder();
        foreach (var c in text.Length > max ? text[..max] : text)
        {
            shown.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return text.Length > max ? $"{shown}... ({text.Length} chars)" : shown.ToString();
    }

    private sealed record RestCase(string Group, string Method, string Path, string? Body, string? ContentType = "application/json", byte[]? Raw = null)
    {
        /// <summary>The refusal this request must get, beyond any clean 4xx; null: any clean 4xx.</summary>
        public Expected? Expect { get; init; }

        public byte[]? Bytes => Raw ?? (Body is null ? null : Encoding.UTF8.GetBytes(Body));

        public override string ToString() =>
            $"[{Group}] {Method} {Path}" + (Bytes is null ? "" : $" ({ContentType ?? "no Content-Type"}) {Excerpt(Body ?? Convert.ToHexString(Raw!))}");
    }

    /// <summary>The status of a refusal, the field its <c>errors</c> must name, and words that message must contain.</summary>
    private sealed record Expected(int Status, string Field, string? Says = null)
    {
        /// <summary>Another name the field may go by.</summary>
        public string? OrField { get; init; }
    }

    private sealed record QmpCase(string Group, string Body, string? ContentType = "application/json")
    {
        /// <summary>Words the QMP error's <c>desc</c> must contain (the rule that refused it); null: any error.</summary>
        public string? Says { get; init; }
    }

    private sealed record HubCall(string Group, string Description, Func<HubConnection, CancellationToken, Task> Invoke)
    {
        /// <summary>Words the refusal must contain (the limit that refused it); null: any refusal with a reason.</summary>
        public string? Says { get; init; }
    }

    /// <summary>One fuzzing run: the generators, the senders and the offenders found.</summary>
    private sealed partial class FuzzRun(CharWebServer server, int seed, Stopwatch clock, Dictionary<string, string> backends, Func<string>? world)
    {
        private readonly SortedDictionary<string, int> _counts = new(StringComparer.Ordinal);
        private readonly Random _random = new(seed);
        private string? _world = world?.Invoke();
        private int _fresh;
        private int _unanswered;

        public int Seed => seed;

        public TimeSpan Elapsed => clock.Elapsed;

        public List<string> Failures { get; } = [];

        public int Total => _counts.Values.Sum();

        public int Count(string surface) => _counts.Where(c => c.Key.StartsWith(surface + ".", StringComparison.Ordinal)).Sum(c => c.Value);

        public string Distribution() => string.Join(", ", _counts.Select(c => $"{c.Key} {c.Value}"));

        public IEnumerable<RestCase> RestCases() =>
            CreateCases().Concat(PutCases()).Concat(WriteCases()).Concat(ReadCases()).Concat(PathOnlyCases()).Concat(WrongMethodCases());

        /// <summary>Sends one request and checks the answer; false once the server has stopped answering.</summary>
        public async Task<bool> SendRestAsync(RestCase c)
        {
            Counted("rest." + c.Group);
            using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
            if (c.Bytes is { } bytes)
            {
                var content = new ByteArrayContent(bytes);
                if (c.ContentType is { } type)
                {
                    content.Headers.TryAddWithoutValidation("Content-Type", type);
                }

                request.Content = content;

                // As curl does for large bodies: a server that refuses early need not take the body.
                request.Headers.ExpectContinue = bytes.Length > (1 << 20) ? true : null;
            }

            HttpResponseMessage response;
            try
            {
                response = await server.Http.SendAsync(request, CharWebServer.Timeout(10));
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                return Unanswered(c.ToString(), ex);
            }

            _unanswered = 0;

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
                if ((ProblemFault(response, body) ?? ExpectationFault(c.Expect, response, body)) is { } fault)
                {
                    Failures.Add($"{c}\n  -> {(int)response.StatusCode} {response.Content.Headers.ContentType?.ToString() ?? "(no Content-Type)"} {Excerpt(body, 400)}\n  -> {fault}");
                }

                if (response.IsSuccessStatusCode && c.Method == "PUT" && c.Path.Split('/') is ["", "api", "chardevs", var changed, "backend"])
                {
                    await RestoreAsync(Uri.UnescapeDataString(changed));
                }
                else if (response.IsSuccessStatusCode && c.Method == "POST" && c.Path == "/api/chardevs" && TryParse(body)?["id"] is JsonValue id && id.TryGetValue<string>(out var created))
                {
                    await RemoveAsync(created);
                }
            }

            // After any undo: what a wrongly accepted request made and the undo took back is reported once, above.
            WorldUnchanged(c.ToString());
            return true;
        }

        public IEnumerable<QmpCase> QmpCases()
        {
            const string nullBackend = """{"type": "null", "data": {}}""";
            foreach (var name in new[] { "no-such-command", "chardev_add", "CHARDEV-ADD", "Chardev-Add", "", " chardev-add", "chardev-add ", "query-chardev\u0000", "quit", "system_reset", "human-monitor-command", "qom-set", "query-chardev\n", "📟" })
            {
                yield return new QmpCase("qmp.unknown-command", $$$"""{"execute": {{{Q(name)}}}, "arguments": {"id": "fzq", "backend": {{{nullBackend}}}}}""");
            }

            foreach (var execute in new[] { "5", "null", "true", "[]", """{"name": "query-chardev"}""", "\"\"" })
            {
                yield return new QmpCase("qmp.execute-type", $$"""{"execute": {{execute}}}""");
            }

            foreach (var body in new[] { "", " ", "[]", "\"query-chardev\"", "5", "null", "{}", """{"arguments": {}}""", """{"exec": "query-chardev"}""", """{"execute": "query-chardev",}""", """{'execute': 'query-chardev'}""", """{"execute": "query-chardev"} {"execute": "quit"}""", "{\"execute\": \"query-chardev\", \"x\": " + new string('[', 300) + new string(']', 300) + "}" })
            {
                yield return new QmpCase("qmp.malformed", body);
            }

            var valid = $$$"""{"execute": "chardev-add", "arguments": {"id": "fzq-cut", "backend": {{{nullBackend}}}}}""";
            for (var i = 0; i < 8; i++)
            {
                yield return new QmpCase("qmp.malformed", valid[.._random.Next(1, valid.Length - 1)]);
            }

            yield return new QmpCase("qmp.malformed", """{"execute": "query-chardev", "execute": "chardev-remove", "arguments": {"id": "fzq"}}""");
            yield return new QmpCase("qmp.malformed", """{"execute": "chardev-remove", "arguments": {"id": "ghost", "id": "ghost2"}}""");
            yield return new QmpCase("qmp.content-type", """{"execute": "no-such-command"}""", null);
            yield return new QmpCase("qmp.content-type", $$$"""{"execute": "chardev-add", "arguments": {"id": "fzq", "backend": {{{nullBackend}}}}}""", "text/plain");
            yield return new QmpCase("qmp.content-type", $$$"""{"execute": "chardev-add", "arguments": {"id": "fzq", "backend": {{{nullBackend}}}}}""", null);

            foreach (var arguments in new[] { "[]", "5", "\"id=fzq\"", "true" })
            {
                yield return new QmpCase("qmp.arguments-type", $$"""{"execute": "chardev-add", "arguments": {{arguments}}}""");
            }

            foreach (var id in new[] { "5", "null", "[]", "{}", "true" })
            {
                yield return new QmpCase("qmp.add-id", $$$"""{"execute": "chardev-add", "arguments": {"id": {{{id}}}, "backend": {{{nullBackend}}}}}""");
            }

            yield return new QmpCase("qmp.add-id", $$$"""{"execute": "chardev-add", "arguments": {"backend": {{{nullBackend}}}}}""");
            yield return new QmpCase("qmp.add-id", $$$"""{"execute": "chardev-add", "arguments": {"id": "rb", "backend": {{{nullBackend}}}}}""");
            foreach (var id in Sample(BadNewIds, 10))
            {
                yield return new QmpCase("qmp.add-id", $$$"""{"execute": "chardev-add", "arguments": {"id": {{{Q(id)}}}, "backend": {{{nullBackend}}}}}""");
            }

            var badQapi = new[]
            {
                "5", "\"null\"", "[]", "true", "null", """{"data": {}}""", """{"type": 5, "data": {}}""", """{"type": null, "data": {}}""",
                """{"type": [], "data": {}}""", """{"type": {"type": "null"}, "data": {}}""", """{"type": "telepathy", "data": {}}""",
                """{"type": "", "data": {}}""", """{"type": "NULL", "data": {}}""", """{"type": "console", "data": {}}""", """{"type": "stdio", "data": {}}""",
                """{"type": "vc", "data": {}}""", """{"type": "ringbuf", "data": {"size": 3}}""", """{"type": "ringbuf", "data": {"size": -1}}""",
                """{"type": "ringbuf", "data": {"size": "abc"}}""", """{"type": "ringbuf", "data": {"size": 1.5}}""", """{"type": "ringbuf", "data": {"size": 1e30}}""",
                """{"type": "memory", "data": {"size": "99999999999999999999"}}""", """{"type": "file", "data": {}}""", """{"type": "file", "data": 5}""",
                """{"type": "file", "data": {"out": "/etc/fz"}}""", """{"type": "file", "data": {"out": "../fz.log"}}""", """{"type": "file", "data": {"out": 5}}""",
                """{"type": "pipe", "data": {"device": "/tmp/fz-pipe"}}""", """{"type": "socket", "data": {}}""",
                """{"type": "socket", "data": {"addr": {"type": "inet", "data": {"host": "127.0.0.1", "port": "70000"}}, "server": true}}""",
                """{"type": "socket", "data": {"addr": {"type": "inet", "data": {"host": "127.0.0.1", "port": "http"}}, "server": true}}""",
                """{"type": "socket", "data": {"addr": {"type": "vsock", "data": {"cid": "3", "port": "1"}}, "server": true}}""",
                """{"type": "socket", "data": {"addr": {"type": "unix", "data": {"path": "/tmp/fz.sock"}}, "server": true}}""",
                """{"type": "socket", "data": {"addr": {"type": "inet", "data": {"host": "127.0.0.1", "port": "0"}}, "server": true, "reconnect": 5}}""",
                """{"type": "socket", "data": {"addr": {"type": "inet", "data": {"host": "127.0.0.1", "port": "0"}}, "server": true, "reconnect": "soon"}}""",
                """{"type": "socket", "data": {"addr": {"type": "inet", "data": {"host": "127.0.0.1", "port": "0"}}, "server": true, "reconnect": 1.5}}""",
                """{"type": "socket", "data": {"addr": {"type": "inet", "data": {"host": "127.0.0.1", "port": "0"}}, "server": "yes"}}""",
                """{"type": "udp", "data": {}}""", """{"type": "udp", "data": {"remote": {"type": "inet", "data": {"host": "127.0.0.1", "port": "0"}}}}""",
                """{"type": "pty", "data": {"cols": 0}}""", """{"type": "serial", "data": {"device": "/nonexistent/ttyS9"}}""",
                """{"type": "null", "data": {"logfile": 5}}""", """{"type": "null", "data": {"logfile": "../fz.log"}}""",
                """{"type": "null", "data": {"logfile": "/etc/fz.log"}}""", """{"type": "null", "data": {"logappend": "yes"}}""",
                """{"type": "null", "data": {"logappend": 1}}""", """{"type": "null", "data": {"colour": "red"}}""", """{"type": "mux", "data": {"chardevs": ["ghost"]}}""",
                """{"type": "hub", "data": {"chardevs": []}}""", """{"type": "hub", "data": {"chardevs": "rb"}}""", """{"type": "hub", "data": {"chardevs": [null]}}""",
                """{"type": "mux", "data": {"chardevs": null}}""",
            };
            foreach (var backend in badQapi)
            {
                yield return new QmpCase("qmp.add-backend", $$$"""{"execute": "chardev-add", "arguments": {"id": "{{{FreshId()}}}", "backend": {{{backend}}}}}""");
            }

            // Out of the documented range (OpenAPI: escapeChar 1..31), with a real child so only the range is wrong.
            yield return new QmpCase("qmp.add-range", QmpAdd(FreshId(), """{"type": "mux", "data": {"chardevs": ["rb"], "escape-char": 0}}"""));
            yield return new QmpCase("qmp.add-range", QmpAdd(FreshId(), """{"type": "mux", "data": {"chardevs": ["rb"], "escape-char": 256}}"""));

            foreach (var id in new[] { "ghost", "RB", "rb ", "../rb" })
            {
                yield return new QmpCase("qmp.change", $$$"""{"execute": "chardev-change", "arguments": {"id": {{{Q(id)}}}, "backend": {{{nullBackend}}}}}""");
            }

            // Not the logfile ones: chardev-change has no logfile to change.
            foreach (var backend in Sample(badQapi.Where(b => !b.Contains("logfile", StringComparison.Ordinal)).ToArray(), 8))
            {
                yield return new QmpCase("qmp.change", $$$"""{"execute": "chardev-change", "arguments": {"id": "{{{Pick(Existing)}}}", "backend": {{{backend}}}}}""");
            }

            // A chardev cannot be its own child.
            yield return new QmpCase("qmp.change-self", """{"execute": "chardev-change", "arguments": {"id": "spare", "backend": {"type": "mux", "data": {"chardevs": ["spare"]}}}}""");
            yield return new QmpCase("qmp.change-self", """{"execute": "chardev-change", "arguments": {"id": "spare", "backend": {"type": "hub", "data": {"chardevs": ["spare"]}}}}""");

            foreach (var args in new[] { "{}", """{"id": 5}""", """{"id": null}""", """{"id": "ghost"}""", """{"id": "RB"}""", """{"id": "quiet"}""", """{"id": ["rb"]}""", """{"device": "rb"}""" })
            {
                yield return new QmpCase("qmp.remove", $$"""{"execute": "chardev-remove", "arguments": {{args}}}""");
            }

            foreach (var args in new[] { "{}", """{"id": 5}""", """{"id": "ghost"}""", """{"id": "echo\u0000"}""" })
            {
                yield return new QmpCase("qmp.break", $$"""{"execute": "chardev-send-break", "arguments": {{args}}}""");
            }

            foreach (var args in new[]
            {
                """{"device": "ghost", "data": "x"}""", """{"device": "echo", "data": "x"}""", """{"device": "quiet", "data": "x"}""", """{"device": "rb"}""",
                """{"device": "rb", "data": 5}""", """{"device": "rb", "data": null}""", """{"device": "rb", "data": "x", "format": "hex"}""",
                """{"device": "rb", "data": "x", "format": 5}""", """{"device": "rb", "data": "x", "format": []}""", """{"device": "rb", "data": "!!!", "format": "base64"}""",
                """{"data": "x"}""", """{"device": 5, "data": "x"}""",
            })
            {
                yield return new QmpCase("qmp.ringbuf-write", $$"""{"execute": "ringbuf-write", "arguments": {{args}}}""");
            }

            foreach (var args in new[]
            {
                """{"device": "ghost", "size": 10}""", """{"device": "echo", "size": 10}""", """{"device": "rb"}""", """{"device": "rb", "size": -1}""",
                """{"device": "rb", "size": 1099511627776}""", """{"device": "rb", "size": "10"}""", """{"device": "rb", "size": 1.5}""",
                """{"device": "rb", "size": 10, "format": "hex"}""", """{"device": "rb", "size": 10, "format": 5}""", """{"size": 10}""",
            })
            {
                yield return new QmpCase("qmp.ringbuf-read", $$"""{"execute": "ringbuf-read", "arguments": {{args}}}""");
            }
        }

        /// <summary>Sends one QMP command and checks the answer; false once the server has stopped answering.</summary>
        public async Task<bool> SendQmpAsync(QmpCase c)
        {
            Counted(c.Group);
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(c.Body));
            if (c.ContentType is { } type)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", type);
            }

            var shown = $"[{c.Group}] POST /api/qmp ({c.ContentType ?? "no Content-Type"}) {Excerpt(c.Body)}";
            HttpResponseMessage response;
            try
            {
                response = await server.Http.PostAsync("/api/qmp", content, CharWebServer.Timeout(10));
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                return Unanswered(shown, ex);
            }

            _unanswered = 0;

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
                var answer = TryParse(body);
                var error = answer?["error"] as JsonObject;
                // What a cross-site page can send without a preflight (no or a simple Content-Type) never reaches QMP.
                var json = c.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true;
                var fault = !json ? ((int)response.StatusCode == 415 && answer?["type"]?.ToString() == "urn:charweb:problem:unsupported-media-type" ? null : $"HTTP {(int)response.StatusCode}, not a 415 problem for Content-Type {c.ContentType ?? "(none)"}")
                    : (int)response.StatusCode != 200 ? $"HTTP {(int)response.StatusCode}, not 200 with a QMP error"
                    : answer is null ? "not a JSON object"
                    : answer.ContainsKey("return") ? "the command succeeded"
                    : error is null ? "no \"error\" object"
                    : !IsText(error["class"]) || !IsText(error["desc"]) ? "\"error\" lacks a \"class\" or a \"desc\" string"
                    : c.Says is { } says && !error["desc"]!.GetValue<string>().Contains(says, StringComparison.Ordinal) ? $"\"desc\" does not say '{says}'"
                    : null;
                if (fault is not null)
                {
                    Failures.Add($"{shown}\n  -> {(int)response.StatusCode} {Excerpt(body, 400)}\n  -> {fault}");
                }

                if (answer?.ContainsKey("return") == true && TryParse(c.Body) is { } command && command["arguments"]?["id"] is JsonValue id && id.TryGetValue<string>(out var name))
                {
                    await (command["execute"]?.GetValue<string>() == "chardev-change" ? RestoreAsync(name) : RemoveAsync(name));
                }
            }

            WorldUnchanged(shown);
            return true;
        }

        public async Task HubAsync()
        {
            HubConsole console;
            try
            {
                console = await HubConsole.ConnectAsync(server, keep: true);
            }
            catch (Exception ex) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                Failures.Add($"[hub] could not connect: {ex.GetType().Name}: {ex.Message}");
                return;
            }

            await using (console)
            {
                if (!await HubCallsAsync(console.Connection, UnattachedCalls()))
                {
                    return;
                }

                if (!await EchoesAsync(console, "after the bad calls", attach: true))
                {
                    return;
                }

                if (await HubCallsAsync(console.Connection, AttachedCalls()))
                {
                    await EchoesAsync(console, "after the bad calls while attached", attach: false);
                }
            }
        }

        private IEnumerable<RestCase> CreateCases()
        {
            const string path = "/api/chardevs";
            foreach (var backend in BadBackends)
            {
                yield return new RestCase("create.backend", "POST", path, $$"""{"id": "{{FreshId()}}", "backend": {{backend}}}""");
            }

            foreach (var backend in ClaimedChildren)
            {
                yield return new RestCase("create.claimed", "POST", path, $$"""{"id": "{{FreshId()}}", "backend": {{backend}}}""");
            }

            foreach (var (backend, field, kind) in TypedFields)
            {
                foreach (var wrong in WrongTypes[kind])
                {
                    yield return new RestCase("create.backend-type", "POST", path, $$"""{"id": "{{FreshId()}}", "backend": {{WithField(backend, field, wrong)}}}""");
                }
            }

            foreach (var bad in BadPaths)
            {
                yield return new RestCase("create.path", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "file", "path": {{{Q(bad)}}}}}""");
                yield return new RestCase("create.path", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "file", "path": "fz-out.txt", "in": {{{Q(bad)}}}}}""");
                yield return new RestCase("create.path", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "pipe", "path": {{{Q(bad)}}}}}""");
                yield return new RestCase("create.path", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "socket", "addr": {"type": "unix", "path": {{{Q(bad)}}}}, "server": true}}""");
                yield return new RestCase("create.path", "POST", path, $$"""{"id": "{{FreshId()}}", "logfile": {{Q(bad)}}, "backend": {{Pick(ValidBackends)}}}""");
            }

            foreach (var id in BadNewIds)
            {
                var backend = _random.Next(3) == 0 ? Pick(BadBackends) : Pick(ValidBackends);
                yield return new RestCase("create.id", "POST", path, $$"""{"id": {{Q(id)}}, "backend": {{backend}}}""");
            }

            foreach (var id in new[] { "5", "null", "true", "[]", "{}", "\"\\ud800\"", "\"a\\udc00b\"" })
            {
                yield return new RestCase("create.id", "POST", path, $$"""{"id": {{id}}, "backend": {{Pick(ValidBackends)}}}""");
            }

            yield return new RestCase("create.id", "POST", path, $$"""{"backend": {{Pick(ValidBackends)}}}""");
            yield return new RestCase("create.id", "POST", path, $$"""{"id": "rb", "backend": {{Pick(ValidBackends)}}}""");
            yield return new RestCase("create.id", "POST", path, $$"""{"id": "echo", "backend": {"type": "testdev"}, "history": 4096}""");
            foreach (var backend in new[] { "5", "\"ringbuf\"", "true", "[]", "null", "[{\"type\": \"null\"}]" })
            {
                yield return new RestCase("create.backend-type", "POST", path, $$"""{"id": "{{FreshId()}}", "backend": {{backend}}}""");
            }

            yield return new RestCase("create.backend-type", "POST", path, $$"""{"id": "{{FreshId()}}"}""");
            foreach (var extra in BadCreateExtras)
            {
                yield return new RestCase("create.field", "POST", path, $$"""{"id": "{{FreshId()}}", {{extra}}, "backend": {{Pick(ValidBackends)}}}""");
            }

            // Only the range is wrong here (OpenAPI: escapeChar 1..31, reconnectMs 0..3600000), so a create means the range is not enforced.
            foreach (var escape in new[] { "0", "-1", "32", "255", "2147483647" })
            {
                yield return new RestCase("create.range", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "mux", "chardevs": ["rb"], "escapeChar": {{{escape}}}}}""");
            }

            foreach (var reconnect in new[] { "3600001", "2147483647" })
            {
                yield return new RestCase("create.range", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 1}, "reconnectMs": {{{reconnect}}}}}""");
            }

            foreach (var body in Malformed(() => $$"""{"id": "{{FreshId()}}", "history": 64, "backend": {{Pick(ValidBackends)}}}""", 24))
            {
                yield return body with { Group = "create.malformed", Method = "POST", Path = path };
            }

            foreach (var body in new[] { "[]", "[{\"id\": \"fzarr\", \"backend\": {\"type\": \"null\"}}]", "\"fz\"", "5", "null", "true" })
            {
                yield return new RestCase("create.not-object", "POST", path, body);
            }

            foreach (var type in WrongContentTypes)
            {
                yield return new RestCase("create.content-type", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "null"}}""", type);
            }

            yield return new RestCase("create.content-type", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "null"}}""", null);
            yield return new RestCase("create.content-type", "POST", path, $$$"""{"id": "{{{FreshId()}}}", "backend": {"type": "null"}}""", "application/json; charset=utf-16");
            yield return new RestCase("create.oversized", "POST", path, $$$"""{"id": "{{{new string('a', 3 << 20)}}}", "backend": {"type": "null"}}""");
            yield return new RestCase("create.oversized", "POST", path, $$"""{"id": "{{FreshId()}}", "backend": {"type": "null"}, "padding": "{{new string('p', 3 << 19)}}"}""");
            yield return new RestCase("create.oversized", "POST", path, $$"""{"id": "{{FreshId()}}", "backend": {"type": "null"}, "history": {{new string('9', BodyLimit + 1)}}}""");
        }

        private IEnumerable<RestCase> PutCases()
        {
            foreach (var backend in BadBackends)
            {
                yield return new RestCase("put.backend", "PUT", $"/api/chardevs/{Pick(Existing)}/backend", backend);
            }

            foreach (var backend in ClaimedChildren)
            {
                yield return new RestCase("put.claimed", "PUT", "/api/chardevs/rb/backend", backend);
            }

            foreach (var (backend, field, kind) in TypedFields)
            {
                foreach (var wrong in WrongTypes[kind])
                {
                    yield return new RestCase("put.backend-type", "PUT", $"/api/chardevs/{Pick(Existing)}/backend", WithField(backend, field, wrong));
                }
            }

            foreach (var bad in Sample(BadPaths, 8))
            {
                yield return new RestCase("put.path", "PUT", $"/api/chardevs/{Pick(Existing)}/backend", $$"""{"type": "file", "path": {{Q(bad)}}}""");
                yield return new RestCase("put.path", "PUT", $"/api/chardevs/{Pick(Existing)}/backend", $$"""{"type": "socket", "addr": {"type": "unix", "path": {{Q(bad)}}}, "server": true}""");
            }

            foreach (var id in Sample(UnknownIds, 14))
            {
                yield return new RestCase("put.unknown-id", "PUT", $"/api/chardevs/{Id(id)}/backend", Pick(ValidBackends));
            }

            // A chardev cannot be its own child.
            yield return new RestCase("put.self", "PUT", "/api/chardevs/spare/backend", """{"type": "mux", "chardevs": ["spare"]}""");
            yield return new RestCase("put.self", "PUT", "/api/chardevs/spare/backend", """{"type": "hub", "chardevs": ["spare"]}""");
            yield return new RestCase("put.range", "PUT", "/api/chardevs/rb/backend", """{"type": "mux", "chardevs": ["echo"], "escapeChar": 0}""");
            yield return new RestCase("put.range", "PUT", "/api/chardevs/rb/backend", """{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 1}, "reconnectMs": 3600001}""");
            foreach (var body in new[] { """{"backend": {"type": "null"}}""", """{"type": "null", "id": "rb"}""", """{"id": "rb", "backend": {"type": "null"}}""", "[]", "\"null\"", "5", "null", "[{\"type\": \"null\"}]" })
            {
                yield return new RestCase("put.not-backend", "PUT", $"/api/chardevs/{Pick(Existing)}/backend", body);
            }

            foreach (var body in Malformed(() => Pick(ValidBackends), 10))
            {
                yield return body with { Group = "put.malformed", Method = "PUT", Path = $"/api/chardevs/{Pick(Existing)}/backend" };
            }

            foreach (var type in Sample(WrongContentTypes, 3))
            {
                yield return new RestCase("put.content-type", "PUT", $"/api/chardevs/{Pick(Existing)}/backend", Pick(ValidBackends), type);
            }

            yield return new RestCase("put.oversized", "PUT", "/api/chardevs/rb/backend", $$"""{"type": "ringbuf", "size": 64, "padding": "{{new string('p', 3 << 20)}}"}""");
        }

        private IEnumerable<RestCase> WriteCases()
        {
            foreach (var body in BadWriteBodies)
            {
                yield return new RestCase("write.body", "POST", $"/api/chardevs/{Pick(Existing)}/write", body);
            }

            foreach (var id in Sample(UnknownIds, 16))
            {
                yield return new RestCase("write.unknown-id", "POST", $"/api/chardevs/{Id(id)}/write", """{"data": "aGk=", "format": "base64"}""");
            }

            foreach (var body in Malformed(() => """{"data": "hello", "format": "utf8"}""", 10))
            {
                yield return body with { Group = "write.malformed", Method = "POST", Path = $"/api/chardevs/{Pick(Existing)}/write" };
            }

            foreach (var type in Sample(WrongContentTypes, 4))
            {
                yield return new RestCase("write.content-type", "POST", $"/api/chardevs/{Pick(Existing)}/write", """{"data": "hello"}""", type);
            }

            yield return new RestCase("write.content-type", "POST", "/api/chardevs/rb/write", null);
            yield return new RestCase("write.oversized", "POST", "/api/chardevs/rb/write", $$"""{"data": "{{new string('A', (1 << 20) + 1)}}", "format": "utf8"}""");
            yield return new RestCase("write.oversized", "POST", "/api/chardevs/echo/write", $$"""{"data": "{{Convert.ToBase64String(new byte[(1 << 20) + 1])}}", "format": "base64"}""");
            yield return new RestCase("write.oversized", "POST", "/api/chardevs/quiet/write", $$"""{"data": "{{new string('A', 3 << 20)}}"}""");
            yield return new RestCase("write.oversized", "POST", "/api/chardevs/rb/write", $$"""{"data": "{{new string('é', 600_000)}}"}""");
        }

        private IEnumerable<RestCase> ReadCases()
        {
            foreach (var query in BadReadQueries)
            {
                yield return new RestCase("read.query", "GET", $"/api/chardevs/{Pick(Existing)}/read?{query}", null);
            }

            foreach (var id in Sample(UnknownIds, 12))
            {
                yield return new RestCase("read.unknown-id", "GET", $"/api/chardevs/{Id(id)}/read", null);
            }

            yield return new RestCase("read.unsupported", "GET", "/api/chardevs/quiet/read", null);
        }

        private IEnumerable<RestCase> PathOnlyCases()
        {
            foreach (var id in Sample(UnknownIds, 20))
            {
                yield return new RestCase("delete.unknown-id", "DELETE", $"/api/chardevs/{Id(id)}", null);
            }

            yield return new RestCase("delete.busy", "DELETE", "/api/chardevs/quiet", null);
            foreach (var id in Sample(UnknownIds, 20))
            {
                yield return new RestCase("break.unknown-id", "POST", $"/api/chardevs/{Id(id)}/break", null);
            }

            yield return new RestCase("break.unknown-id", "POST", "/api/chardevs/ghost/break", """{"data": "x"}""");
            foreach (var id in Sample(UnknownIds, 20))
            {
                yield return new RestCase("consoles.unknown-id", "GET", $"/api/chardevs/{Id(id)}/consoles", null);
            }

            // Not "." or "..": GET /api/chardevs/. is the list itself.
            foreach (var id in Sample(UnknownIds.Where(id => id is not ("." or "..")).ToArray(), 6))
            {
                yield return new RestCase("get.unknown-id", "GET", $"/api/chardevs/{Id(id)}", null);
            }
        }

        private static IEnumerable<RestCase> WrongMethodCases()
        {
            yield return new RestCase("method", "GET", "/api/chardevs/rb/break", null);
            yield return new RestCase("method", "PUT", "/api/chardevs/rb/write", """{"data": "x"}""");
            yield return new RestCase("method", "DELETE", "/api/chardevs/rb/write", null);
            yield return new RestCase("method", "POST", "/api/chardevs/rb/read", """{"size": 1}""");
            yield return new RestCase("method", "POST", "/api/chardevs/rb/consoles", null);
            yield return new RestCase("method", "PATCH", "/api/chardevs/rb", """{"history": 1}""");
            yield return new RestCase("method", "PUT", "/api/chardevs/rb", """{"id": "rb", "backend": {"type": "null"}}""");
            yield return new RestCase("method", "POST", "/api/chardevs/rb", """{"id": "rb2", "backend": {"type": "null"}}""");
            yield return new RestCase("method", "DELETE", "/api/chardevs", null);
            yield return new RestCase("method", "PUT", "/api/chardevs", """{"id": "rb", "backend": {"type": "null"}}""");
            yield return new RestCase("method", "GET", "/api/chardevs/rb/backend", null);
            yield return new RestCase("method", "DELETE", "/api/chardevs/rb/backend", null);
        }

        /// <summary>Bodies that are not JSON, made from a valid one: cut short, broken, commented, doubled, or not UTF-8.</summary>
        private IEnumerable<RestCase> Malformed(Func<string> valid, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var text = valid();
                var broken = (i % 12) switch
                {
                    0 or 1 => text[.._random.Next(1, text.Length - 1)],
                    2 => ReplaceOne(text, ':', '='),
                    3 => ReplaceOne(text, '"', '\''),
                    4 => text[..^1] + ",}",
                    5 => "/* fuzz */ " + text,
                    6 => text + text,
                    7 => text.Replace("\"type\"", "type", StringComparison.Ordinal).Replace("\"data\"", "data", StringComparison.Ordinal),
                    8 => text[..^1] + ", \"n\": NaN}",
                    9 => text[..^1] + ", \"deep\": " + new string('[', 200) + new string(']', 200) + "}",
                    10 => "",
                    _ => null,
                };
                yield return broken is null
                    ? new RestCase("", "", "", null, "application/json", [.. Encoding.UTF8.GetBytes(text[..^1] + ", \"bytes\": \""), 0xC3, 0x28, 0xFF, 0xFE, .. "\"}"u8])
                    : new RestCase("", "", "", broken);
            }
        }

        private string ReplaceOne(string text, char from, char to)
        {
            var at = Enumerable.Range(0, text.Length).Where(i => text[i] == from).ToList();
            var i = at[_random.Next(at.Count)];
            return text[..i] + to + text[(i + 1)..];
        }

        private IEnumerable<HubCall> UnattachedCalls()
        {
            foreach (var id in Sample(UnknownIds.Append("\u0000").Append("").ToArray(), 12))
            {
                yield return Stream("hub.attach", $"Attach({Excerpt(Q(id))})", "Attach", id);
            }

            yield return Stream("hub.attach", "Attach(null)", "Attach", [null]);
            yield return Stream("hub.attach", "Attach(5)", "Attach", 5);
            yield return Stream("hub.attach", "Attach()", "Attach");
            yield return Stream("hub.attach", "Attach(\"echo\", \"extra\")", "Attach", "echo", "extra");
            yield return Invoke("hub.attach", "Attach(\"echo\") as a plain invocation", "Attach", "echo");
            foreach (var id in Sample(UnknownIds, 6))
            {
                yield return Invoke("hub.write", $"Write({Excerpt(Q(id))}, 2 bytes)", "Write", id, "hi"u8.ToArray());
            }

            yield return Invoke("hub.write", "Write(\"echo\", 1 MiB + 1)", "Write", "echo", new byte[(1 << 20) + 1]);
            yield return Invoke("hub.write", "Write(\"rb\", 2 MiB)", "Write", "rb", new byte[2 << 20]);
            yield return Invoke("hub.write", "Write(\"ghost\", 1 MiB + 1)", "Write", "ghost", new byte[(1 << 20) + 1]);
            yield return Invoke("hub.write", "Write(null, 2 bytes)", "Write", null, "hi"u8.ToArray());
            yield return Invoke("hub.write", "Write(\"echo\", null)", "Write", "echo", null);
            yield return Invoke("hub.write", "Write(\"echo\")", "Write", "echo");
            yield return Invoke("hub.write", "Write(\"echo\", 2 bytes, \"extra\")", "Write", "echo", "hi"u8.ToArray(), "extra");
            yield return Invoke("hub.write", "Write(5, 2 bytes)", "Write", 5, "hi"u8.ToArray());
            yield return Invoke("hub.write", "Write(\"echo\", 12345)", "Write", "echo", 12345);
            yield return Invoke("hub.write", "Write(\"echo\", {})", "Write", "echo", new Dictionary<string, int>());
            yield return Stream("hub.write", "Write(\"echo\", 2 bytes) as a stream", "Write", "echo", "hi"u8.ToArray());
            foreach (var (cols, rows) in new[] { (80, 24), (0, 0), (-1, 24), (80, -1), (1001, 24), (int.MaxValue, int.MaxValue) })
            {
                yield return Invoke("hub.resize", $"Resize(\"{(cols == 80 ? "echo" : "rb")}\", {cols}, {rows}) without attaching", "Resize", cols == 80 ? "echo" : "rb", cols, rows);
            }

            yield return Invoke("hub.resize", "Resize(\"ghost\", 80, 24)", "Resize", "ghost", 80, 24);
            yield return Invoke("hub.resize", "Resize(\"echo\", \"80\", \"24\")", "Resize", "echo", "80", "24");
            yield return Invoke("hub.resize", "Resize(\"echo\", 80)", "Resize", "echo", 80);
            yield return Invoke("hub.resize", "Resize(\"echo\", 2^40, 24)", "Resize", "echo", 1L << 40, 24);
            foreach (var id in new[] { "ghost", "../echo", "echo\u0000", "" })
            {
                yield return Invoke("hub.break", $"SendBreak({Excerpt(Q(id))})", "SendBreak", id);
            }

            yield return Invoke("hub.break", "SendBreak(null)", "SendBreak", [null]);
            yield return Invoke("hub.break", "SendBreak()", "SendBreak");
            // A well-formed Ack for a console that is not there is ignored by design: the page sends acks
            // without waiting for an answer, and one that arrives after detaching is normal.
            yield return Invoke("hub.ack", "Ack(\"echo\", \"lots\")", "Ack", "echo", "lots");
            yield return Invoke("hub.ack", "Ack(\"echo\")", "Ack", "echo");
            yield return Invoke("hub.unknown", "Detach(\"echo\")", "Detach", "echo");
            yield return Invoke("hub.unknown", "Kill()", "Kill");
            yield return Invoke("hub.unknown", "WatchChardevs as a plain invocation", "WatchChardevs");
            yield return Stream("hub.unknown", "WatchChardevs(\"extra\")", "WatchChardevs", "extra");
        }

        private static IEnumerable<HubCall> AttachedCalls()
        {
            foreach (var (cols, rows) in new[] { (0, 24), (80, 0), (-1, -1), (1001, 24), (80, 1001), (int.MaxValue, int.MaxValue), (int.MinValue, 1) })
            {
                yield return Invoke("hub.resize", $"Resize(\"echo\", {cols}, {rows}) while attached", "Resize", "echo", cols, rows);
            }

            yield return Stream("hub.attach", "Attach(\"echo\") a second time", "Attach", "echo");
            yield return Invoke("hub.write", "Write(\"echo\", 1 MiB + 1) while attached", "Write", "echo", new byte[(1 << 20) + 1]);
            yield return Invoke("hub.write", "Write(\"echo\", null) while attached", "Write", "echo", null);
            yield return Invoke("hub.ack", "Ack(\"echo\", \"lots\") while attached", "Ack", "echo", "lots");
        }

        private static HubCall Invoke(string group, string description, string method, params object?[] args) =>
            new(group, description, (connection, token) => connection.InvokeCoreAsync(method, typeof(object), args, token));

        private static HubCall Stream(string group, string description, string method, params object?[] args) =>
            new(group, description, async (connection, token) =>
            {
                await foreach (var chunk in connection.StreamAsyncCore<byte[]>(method, args, token))
                {
                    throw new InvalidOperationException($"the stream was accepted and sent {chunk.Length} bytes");
                }
            });

        /// <summary>Runs the calls on one connection; false once the connection is lost (later calls would prove nothing).</summary>
        private async Task<bool> HubCallsAsync(HubConnection connection, IEnumerable<HubCall> calls)
        {
            foreach (var call in calls)
            {
                Counted(call.Group);
                var fault = await HubFaultAsync(connection, call);
                if (fault is not null)
                {
                    Failures.Add($"[{call.Group}] {call.Description}\n  -> {fault}");
                }

                if (connection.State != HubConnectionState.Connected)
                {
                    Failures.Add($"[{call.Group}] {call.Description}\n  -> the connection is {connection.State} afterwards; the remaining hub calls were skipped");
                    return false;
                }
            }

            return true;
        }

        private static async Task<string?> HubFaultAsync(HubConnection connection, HubCall call)
        {
            try
            {
                await call.Invoke(connection, CharWebServer.Timeout(10));
                return "the call succeeded";
            }
            catch (HubException ex) when (!ex.Message.Contains(" HubException: ", StringComparison.Ordinal) && (ex.Message.StartsWith("An unexpected error occurred", StringComparison.Ordinal) || ex.Message.StartsWith("An error occurred on the server while streaming", StringComparison.Ordinal)))
            {
                // SignalR adds "HubException: reason" to a refusal; without it, the hub method threw something else: the hub analogue of a 500.
                return $"the hub method failed instead of refusing (no reason given): {ex.Message}";
            }
            catch (HubException ex) when (call.Says is { } says && !ex.Message.Contains(says, StringComparison.Ordinal))
            {
                return $"refused without saying '{says}': {ex.Message}";
            }
            catch (HubException)
            {
                return null;
            }
            catch (Exception ex) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                return $"{ex.GetType().Name}: {ex.Message}";
            }
        }

        /// <summary>The connection still works: it attaches to echo (if asked) and gets what it writes back.</summary>
        private async Task<bool> EchoesAsync(HubConsole console, string when, bool attach)
        {
            var text = $"still here {when}";
            try
            {
                if (attach)
                {
                    await console.AttachAsync("echo");
                }

                var start = console.Received;
                var accepted = await console.Connection.InvokeAsync<int>("Write", "echo", Encoding.UTF8.GetBytes(text), CharWebServer.Timeout());
                await console.WaitForReceivedAsync(start + accepted, CharWebServer.Timeout());
                var received = Encoding.UTF8.GetString(console.Bytes());
                if (accepted != text.Length || !received.EndsWith(text, StringComparison.Ordinal) || (attach && !received.StartsWith("primed ", StringComparison.Ordinal)))
                {
                    Failures.Add($"[hub] {when}: wrote {text.Length} bytes, {accepted} accepted, the console received '{Excerpt(received)}'");
                    return false;
                }

                return true;
            }
            catch (Exception ex) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                Failures.Add($"[hub] {when}: the same connection could not attach to echo and get its echo: {ex.GetType().Name}: {ex.Message}");
                return false;
            }
        }

        /// <summary>Records a request that got no answer; after three in a row the server is stuck and the rest would only time out.</summary>
        private bool Unanswered(string request, Exception ex)
        {
            Failures.Add($"{request}\n  -> no answer within the timeout: {ex.GetType().Name}: {ex.Message}");
            if (++_unanswered < 3)
            {
                return true;
            }

            Failures.Add("three requests in a row got no answer: the server is stuck, the remaining requests were not sent");
            return false;
        }

        /// <summary>Puts back a backend that a wrongly accepted change replaced, so one offender does not spoil the rest of the run.</summary>
        private async Task RestoreAsync(string id)
        {
            if (backends.TryGetValue(id, out var original))
            {
                using var restored = await server.Http.PutAsync($"/api/chardevs/{Id(id)}/backend", new StringContent(original, Encoding.UTF8, "application/json"), CharWebServer.Timeout());
                Failures[^1] += $"\n  -> undone: PUT /api/chardevs/{Id(id)}/backend {original} -> {(int)restored.StatusCode}";
            }
        }

        /// <summary>Removes a chardev that a wrongly accepted create made.</summary>
        private async Task RemoveAsync(string id)
        {
            if (!backends.ContainsKey(id))
            {
                using var removed = await server.Http.DeleteAsync($"/api/chardevs/{Id(id)}", CharWebServer.Timeout());
                Failures[^1] += $"\n  -> undone: DELETE /api/chardevs/{Id(id)} -> {(int)removed.StatusCode}";
            }
        }

        private static string? ProblemFault(HttpResponseMessage response, string body)
        {
            var status = (int)response.StatusCode;
            if (status is < 400 or > 499)
            {
                return status >= 500 ? "a server error" : "accepted, not refused";
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return "a 4xx that is not problem details";
            }

            var problem = TryParse(body);
            if (problem?["type"] is not JsonValue type || !type.TryGetValue<string>(out var name) || !name.StartsWith(ProblemPrefix, StringComparison.Ordinal))
            {
                return $"\"type\" does not start with {ProblemPrefix}";
            }

            if (problem["errors"] is not JsonObject { Count: > 0 })
            {
                return "no \"errors\" naming a field";
            }

            return problem["status"] is JsonValue s && s.TryGetValue<int>(out var said) && said == status ? null : $"\"status\" is not {status}";
        }

        /// <summary>What a clean refusal lacks of the one <paramref name="expected"/>: its status, the field it names, the rule it states.</summary>
        private static string? ExpectationFault(Expected? expected, HttpResponseMessage response, string body)
        {
            if (expected is null)
            {
                return null;
            }

            if ((int)response.StatusCode != expected.Status)
            {
                return $"refused with {(int)response.StatusCode}, not {expected.Status}";
            }

            if (TryParse(body)?["errors"] is not JsonObject errors || (errors[expected.Field] ?? (expected.OrField is { } other ? errors[other] : null)) is not JsonArray messages)
            {
                return $"\"errors\" does not name {expected.Field}" + (expected.OrField is { } or ? $" or {or}" : "");
            }

            return expected.Says is { } says && !messages.Any(m => m?.GetValue<string>().Contains(says, StringComparison.Ordinal) == true)
                ? $"\"errors\".{expected.Field} does not say '{says}'"
                : null;
        }

        /// <summary>Records the request after which the world (files, sockets) is not as it was, with what changed; the changed world is the new reference.</summary>
        private void WorldUnchanged(string request)
        {
            if (world?.Invoke() is not { } now || now == _world)
            {
                return;
            }

            var was = _world!.Split('\n');
            var became = now.Split('\n');
            Failures.Add($"{request}\n  -> changed what a refused request must not touch:" +
                string.Concat(was.Except(became).Select(line => "\n     was: " + line)) + string.Concat(became.Except(was).Select(line => "\n     now: " + line)));
            _world = now;
        }

        private static JsonObject? TryParse(string text)
        {
            try
            {
                return JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static bool IsText(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0;

        /// <summary>The backend with one field (dotted for nested objects) set to raw JSON.</summary>
        private static string WithField(string backend, string field, string value)
        {
            var root = JsonNode.Parse(backend)!.AsObject();
            var names = field.Split('.');
            var target = names[..^1].Aggregate(root, (o, name) => o[name]!.AsObject());
            target[names[^1]] = JsonNode.Parse(value);
            return root.ToJsonString(Relaxed);
        }

        private static string QmpAdd(string id, string backend) => $$$"""{"execute": "chardev-add", "arguments": {"id": {{{Q(id)}}}, "backend": {{{backend}}}}}""";

        private string FreshId() => $"fz{++_fresh}";

        private T Pick<T>(T[] pool) => pool[_random.Next(pool.Length)];

        private T[] Sample<T>(T[] pool, int count) => [.. pool.OrderBy(_ => _random.Next()).Take(count)];

        private void Counted(string group) => _counts[group] = _counts.GetValueOrDefault(group) + 1;
    }
}
