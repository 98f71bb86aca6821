using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;

namespace CharWeb.Api.Tests.Reliability;

/// <summary>
/// The hardening rules under fuzz: destinations, devices, paths out of the data folder or onto the database
/// (through <c>..</c>, absolute paths, symbolic and hard links), programs and pinned arguments, buffer bytes,
/// and consoles and watchers per connection and per chardev. Each request breaks one rule and must be refused
/// naming that rule's field; no refusal may touch a file or a socket on the way.
/// </summary>
public sealed partial class FuzzedInputTests
{
    /// <summary>What the policy fuzz allows: one pinned program, buffers of which <see cref="Setup"/> holds 5120 bytes, one console and one watcher.</summary>
    private const int BufferLimit = 16384;

    private const string DestinationKey = "CharWeb:Network:AllowedDestinations";

    private static readonly Dictionary<string, string?> PolicySettings = new()
    {
        ["CharWeb:Exec:Allowed:0:Command"] = "/bin/echo",
        ["CharWeb:Exec:Allowed:0:Args:0"] = "hi",
        ["CharWeb:Limits:MaxBufferBytes"] = BufferLimit.ToString(CultureInfo.InvariantCulture),
        ["CharWeb:Limits:MaxConsolesPerChardev"] = "1",
        ["CharWeb:Limits:MaxConsolesPerConnection"] = "1",
        ["CharWeb:Limits:MaxWatchersPerConnection"] = "1",
    };

    /// <summary>Hosts the default allow-list (loopback only) refuses to socket clients and udp, and what the refusal must say.</summary>
    private static readonly (string Host, string Says)[] ForbiddenHosts =
    [
        ("10.0.0.1", DestinationKey), ("169.254.169.254", DestinationKey), ("0.0.0.0", "the unspecified address"), ("0", "the unspecified address"),
        ("::", "the unspecified address"), ("[::]", "the unspecified address"), ("::ffff:0.0.0.0", "the unspecified address"),
        ("::ffff:10.0.0.1", "(10.0.0.1) is not an allowed destination"), ("::ffff:169.254.169.254", "(169.254.169.254) is not an allowed destination"),
        ("::127.0.0.1", DestinationKey), ("64:ff9b::a00:1", DestinationKey), ("fe80::1", DestinationKey), ("fd00::1", DestinationKey),
        ("192.168.0.1", DestinationKey), ("172.16.0.1", DestinationKey), ("100.64.0.1", DestinationKey), ("224.0.0.1", DestinationKey),
        ("255.255.255.255", DestinationKey), ("charweb-fuzz.invalid", "could not be resolved"), ("localhost\n", "could not be resolved"),
        (new string('h', 300) + ".invalid", "could not be resolved"),
    ];

    /// <summary>Paths that no default <c>CharWeb:Devices:Allowed</c> glob takes, as given or once normalised: someone's pty, disks, plain files, relative names.</summary>
    private static readonly string[] ForbiddenDevices =
    [
        "/dev/pts/0", "/dev/ptmx", "/dev/tty", "/dev/tty0", "/dev/console", "/dev/sda", "/dev/nvme0n1", "/dev/mem", "/dev/kmsg", "/dev/null",
        "/dev/zero", "/dev/random", "/etc/passwd", "/etc/shadow", "/proc/self/fd/0", "/", "/dev", "/dev/", "ttyS0", "./ttyS0", "dev/ttyS0",
        "ttyUSB0", "fz-link-pts", "//dev//pts//0", "/dev/./pts/0", "/dev/ttyS0/../pts/0", "/dev/ttyS0/../../etc/passwd", "/dev/serial/by-id/../../pts/0",
        "/dev/parport0/../sda",
    ];

    /// <summary>Programs other than the allowed <c>/bin/echo</c>, some of them spelling it differently.</summary>
    private static readonly string[] ForbiddenCommands =
    [
        "/bin/sh", "/bin/bash", "/usr/bin/env", "/usr/bin/echo", "/bin/echo ", " /bin/echo", "/bin//echo", "/bin/./echo", "/bin/../bin/echo",
        "/BIN/ECHO", "echo", "bin/echo", "./echo", "/bin/echo\n", "/bin/echo\u0000", "/bin/ec?o", "/bin/*", "/proc/self/exe", "/bin/echo;id", "$(id)",
    ];

    /// <summary>Argument lists other than the pinned <c>["hi"]</c>, and what the refusal must say.</summary>
    private static readonly (string Args, string Says)[] WrongPinnedArgs =
    [
        ("[]", "exactly: [\"hi\"]"), ("[\"HI\"]", "exactly: [\"hi\"]"), ("[\"hi \"]", "exactly: [\"hi\"]"), ("[\" hi\"]", "exactly: [\"hi\"]"),
        ("[\"hi\", \"hi\"]", "exactly: [\"hi\"]"), ("[\"-e\", \"hi\"]", "exactly: [\"hi\"]"), ("[\"hi\\n\"]", "exactly: [\"hi\"]"),
        ("[\"hï\"]", "exactly: [\"hi\"]"), ("[\"\"]", "exactly: [\"hi\"]"), ("[\"hi\", \"; id\"]", "exactly: [\"hi\"]"),
        ("[\"" + new string('h', 10_000) + "\"]", "exactly: [\"hi\"]"), ("[\"hi\\u0000\"]", "must not contain NUL"),
    ];

    [Fact]
    public async Task RequestsBreakingAPolicyOrALimitAreRefusedOnTheRulesFieldAndTouchNoFile()
    {
        using var planted = await PlantedFiles.CreateAsync();
        await using var server = await CharWebServer.StartAsync(planted.DataDir, PolicySettings);
        planted.LinkToDatabase();

        var run = await FuzzAsync(server, r => r.PolicyRestCases(planted), r => r.PolicyQmpCases(planted), r => r.LimitHubAsync(), planted.World);

        Report(run, rest: 500, qmp: 100, hub: 10);
    }

    /// <summary>
    /// A data folder and a folder outside it, planted as someone with a shell on the host could: links out of the
    /// data folder (to a file, a folder, a listening socket, a pty) and onto the database, and files of a user's own.
    /// </summary>
    private sealed class PlantedFiles : IDisposable
    {
        public const int KeptFiles = 6;

        private readonly Socket _listening;

        private PlantedFiles(string dataDir, string outside, Socket listening)
        {
            DataDir = dataDir;
            Outside = outside;
            _listening = listening;
        }

        public string DataDir { get; }

        public string Outside { get; }

        public string Sentinel => Path.Combine(Outside, "sentinel.txt");

        public string OutsideSocket => Path.Combine(Outside, "outside.sock");

        /// <summary>Hard links to the database and its write-ahead log (when there is one), made once the server has made them.</summary>
        public List<string> DatabaseAliases { get; } = [];

        public static async Task<PlantedFiles> CreateAsync()
        {
            var dataDir = Directory.CreateTempSubdirectory("charweb-api-").FullName;
            var outside = Directory.CreateTempSubdirectory("charweb-fuzz-outside-").FullName;
            var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            var planted = new PlantedFiles(dataDir, outside, listening);
            await File.WriteAllTextAsync(planted.Sentinel, "outside the data folder\n", CharWebServer.Timeout());
            listening.Bind(new UnixDomainSocketEndPoint(planted.OutsideSocket));
            listening.Listen();
            for (var i = 1; i <= KeptFiles; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(dataDir, $"fz-keep-{i}.log"), $"a user's log {i}\n", CharWebServer.Timeout());
            }

            File.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-db"), Path.Combine(dataDir, "charweb.db"));
            File.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-wal"), "charweb.db-wal");
            File.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-shm"), "charweb.db-shm");
            File.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-out"), planted.Sentinel);
            File.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-sock"), planted.OutsideSocket);
            File.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-pts"), "/dev/pts/0");
            File.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-loop"), "fz-link-loop");
            Directory.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-dir"), outside);
            Directory.CreateSymbolicLink(Path.Combine(dataDir, "fz-link-up"), "..");
            return planted;
        }

        /// <summary>Paths that lead out of the data folder or onto the database, by name, by <c>..</c>, absolutely, through links, or with control characters.</summary>
        public string[] ForbiddenPaths() =>
        [
            "../fz-escape.txt", "sub/../../fz-escape.txt", "./../fz-escape.txt", Path.Combine(Outside, "new.txt"), Sentinel, Outside,
            "/tmp/charweb-fuzz-escape.txt", "charweb.db", "charweb.db-wal", "charweb.db-shm", "charweb.db-journal", "./charweb.db",
            "sub/../charweb.db", Path.Combine(DataDir, "charweb.db"), DataDir + "//charweb.db", DataDir + "/./charweb.db-wal", "fz-link-db",
            "fz-link-wal", "fz-link-shm", "fz-link-out", "fz-link-sock", "fz-link-loop", "fz-link-dir/sentinel.txt", "fz-link-dir/new.txt",
            "fz-link-up/fz-escape.txt", $"fz-link-up/{Path.GetFileName(DataDir)}/charweb.db", "fz\u0001.txt", "fz\u001b[2J.txt", "fz\u007f.txt", "fz\u0085.txt",
        ];

        public void LinkToDatabase()
        {
            foreach (var name in new[] { "charweb.db", "charweb.db-wal" })
            {
                var alias = Path.Combine(DataDir, "fz-hard-" + name.Replace("charweb.", "", StringComparison.Ordinal));
                if (File.Exists(Path.Combine(DataDir, name)))
                {
                    Assert.True(Link(Path.Combine(DataDir, name), alias) == 0, $"link {name}: errno {Marshal.GetLastPInvokeError()}");
                    DatabaseAliases.Add(Path.GetFileName(alias));
                }
            }
        }

        /// <summary>
        /// Both folders as they stand (every entry with its link target or its bytes' hash), the chardevs the database
        /// holds (it must stay readable), and whether anyone knocked on the outside socket.
        /// </summary>
        public string World()
        {
            var lines = new List<string> { StoredChardevs() };
            foreach (var folder in new[] { DataDir, Outside })
            {
                foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
                {
                    // The database is judged by what it holds: the audit log writes to it, and SQLite's journals come and go.
                    if (folder == DataDir && entry.Name.StartsWith("charweb.db", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    // A hard link is the database under another name: its bytes move with the audit's writes and its
                    // journal's resets; what it holds is judged through the stored chardevs above.
                    if (folder == DataDir && DatabaseAliases.Contains(entry.Name))
                    {
                        lines.Add($"{Path.GetFileName(folder)}/{entry.Name} a hard link into the database");
                        continue;
                    }

                    lines.Add($"{Path.GetFileName(folder)}/{entry.Name} {Describe(entry)}");
                }
            }

            lines.Add(_listening.Poll(0, SelectMode.SelectRead) ? "the outside socket has a connection waiting" : "the outside socket has no connection");
            return string.Join("\n", lines);
        }

        public void Dispose() => _listening.Dispose();

        private string Describe(FileSystemInfo entry)
        {
            if (entry.LinkTarget is { } target)
            {
                return "-> " + target;
            }

            if (entry is DirectoryInfo || entry.FullName == OutsideSocket)
            {
                return "(not a file)";
            }

            try
            {
                var bytes = File.ReadAllBytes(entry.FullName);
                return $"{bytes.Length} bytes, sha256 {Convert.ToHexString(SHA256.HashData(bytes))[..16]}";
            }
            catch (IOException ex)
            {
                return $"(unreadable: {ex.Message})";
            }
        }

        /// <summary>The stored chardevs, read as the server stores them; a database that cannot be read says so.</summary>
        private string StoredChardevs()
        {
            try
            {
                using var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "charweb.db")};Mode=ReadOnly;Pooling=False");
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT id, definition FROM chardevs ORDER BY id";
                using var reader = command.ExecuteReader();
                var rows = new List<string>();
                while (reader.Read())
                {
                    rows.Add($"{reader.GetString(0)} (sha256 {Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(reader.GetString(1))))[..8]})");
                }

                return "charweb.db holds " + string.Join(", ", rows);
            }
            catch (SqliteException ex)
            {
                return "charweb.db cannot be read: " + ex.Message;
            }
        }

        [DllImport("libc", EntryPoint = "link", SetLastError = true)]
        private static extern int Link(string target, string name);
    }

    private sealed partial class FuzzRun
    {
        public IEnumerable<RestCase> PolicyRestCases(PlantedFiles planted)
        {
            const string path = "/api/chardevs";
            RestCase Create(string group, string backend, Expected expect, string extra = "") =>
                new(group, "POST", path, $$"""{"id": "{{FreshId()}}", {{extra}}"backend": {{backend}}}""") { Expect = expect };
            RestCase Put(string group, string backend, Expected expect) =>
                new(group, "PUT", $"/api/chardevs/{Pick(Existing)}/backend", backend) { Expect = expect };

            foreach (var (host, says) in ForbiddenHosts)
            {
                var client = $$$"""{"type": "socket", "addr": {"type": "inet", "host": {{{Q(host)}}}, "port": 22}}""";
                var udp = $$$"""{"type": "udp", "remote": {"host": {{{Q(host)}}}, "port": 9}}""";
                yield return Create("create.destination", client, new(400, "backend.addr", says));
                yield return Create("create.destination", WithField(WithField(client, "reconnectMs", "100"), "telnet", "true"), new(400, "backend.addr", says));
                yield return Create("create.destination", udp, new(400, "backend.remote", says));
                yield return Create("create.destination", WithField(udp, "local", """{"host": "127.0.0.1", "port": 0}"""), new(400, "backend.remote", says));
                yield return Put("put.destination", client, new(400, "addr", says));
                yield return Put("put.destination", udp, new(400, "remote", says));
            }

            foreach (var host in new[] { "10.0.0.1", "127.0.0.1", "::1", "charweb-fuzz.invalid" })
            {
                foreach (var port in new[] { "0", "65536", "-1", "2147483647" })
                {
                    yield return Create("create.destination-port", $$$"""{"type": "socket", "addr": {"type": "inet", "host": {{{Q(host)}}}, "port": {{{port}}}}}""", new(400, "backend.addr.port"));
                    yield return Create("create.destination-port", $$$"""{"type": "udp", "remote": {"host": {{{Q(host)}}}, "port": {{{port}}}}}""", new(400, "backend.remote.port"));
                }
            }

            // Bound, not sent to: a local address this host does not have cannot be bound, and that must say so cleanly.
            yield return Create("create.udp-local", """{"type": "udp", "remote": {"host": "127.0.0.1", "port": 9}, "local": {"host": "10.0.0.1", "port": 0}}""", new(422, "backend"));

            foreach (var device in ForbiddenDevices.Append(Path.Combine(planted.DataDir, "fz-link-pts")))
            {
                yield return Create("create.device", $$"""{"type": "serial", "path": {{Q(device)}}}""", new(400, "backend.path", "CharWeb:Devices:Allowed"));
                yield return Create("create.device", $$"""{"type": "parallel", "path": {{Q(device)}}}""", new(400, "backend.path", "CharWeb:Devices:Allowed"));
            }

            foreach (var device in Sample(ForbiddenDevices, 8))
            {
                yield return Put("put.device", $$"""{"type": "serial", "path": {{Q(device)}}}""", new(400, "path", "CharWeb:Devices:Allowed"));
                yield return Put("put.device", $$"""{"type": "parallel", "path": {{Q(device)}}}""", new(400, "path", "CharWeb:Devices:Allowed"));
            }

            foreach (var device in new[] { "/dev/ttyS0\n", "/dev/ttyS0\u0000", "/dev/ttyS\u001b0", "/dev/tty\u0085S0", "\u0000" })
            {
                yield return Create("create.device-control", $$"""{"type": "serial", "path": {{Q(device)}}}""", new(400, "backend.path"));
                yield return Create("create.device-control", $$"""{"type": "parallel", "path": {{Q(device)}}}""", new(400, "backend.path"));
            }

            // Allowed names that no device answers to (absent, too long, a glob taken literally): refused when opened.
            foreach (var device in new[] { "/dev/ttyS99", "/dev/ttyUSB9", "/dev/ttyS*", "/dev/ttyS" + new string('9', 300), "/dev/ttyACM" + new string('x', 5000) })
            {
                yield return Create("create.device-absent", $$"""{"type": "serial", "path": {{Q(device)}}}""", new(422, "backend"));
            }

            foreach (var command in ForbiddenCommands)
            {
                yield return Create("create.exec", $$"""{"type": "exec", "command": {{Q(command)}}, "args": ["hi"]}""", new(400, "backend.command", "CharWeb:Exec:Allowed"));
            }

            foreach (var (args, says) in WrongPinnedArgs)
            {
                yield return Create("create.exec-args", $$"""{"type": "exec", "command": "/bin/echo", "args": {{args}}}""", new(400, "backend.args", says));
            }

            yield return Create("create.exec-args", """{"type": "exec", "command": "/bin/echo"}""", new(400, "backend.args", "exactly: [\"hi\"]"));
            yield return Create("create.exec-args", """{"type": "exec", "command": "/bin/echo", "args": ["hi"], "restart": true, "cols": 0}""", new(400, "backend.cols"));
            foreach (var command in Sample(ForbiddenCommands, 6))
            {
                yield return Put("put.exec", $$"""{"type": "exec", "command": {{Q(command)}}, "args": ["hi"]}""", new(400, "command", "CharWeb:Exec:Allowed"));
            }

            foreach (var (args, says) in Sample(WrongPinnedArgs, 4))
            {
                yield return Put("put.exec-args", $$"""{"type": "exec", "command": "/bin/echo", "args": {{args}}}""", new(400, "args", says));
            }

            foreach (var bad in planted.ForbiddenPaths())
            {
                yield return Create("create.path", $$"""{"type": "file", "path": {{Q(bad)}}}""", new(400, "backend.path"));
                yield return Create("create.path", $$"""{"type": "file", "path": {{Q(bad)}}, "append": true}""", new(400, "backend.path"));
                yield return Create("create.path", $$"""{"type": "file", "path": "fz-never-made.txt", "in": {{Q(bad)}}}""", new(400, "backend.in"));
                yield return Create("create.path", $$"""{"type": "pipe", "path": {{Q(bad)}}}""", new(400, "backend.path"));
                yield return Create("create.path", """{"type": "null"}""", new(400, "logfile"), $"\"logfile\": {Q(bad)}, ");
                yield return Create("create.path", """{"type": "testdev"}""", new(400, "logfile"), $"\"logfile\": {Q(bad)}, \"logappend\": true, ");
                yield return Create("create.path", $$"""{"type": "socket", "addr": {"type": "unix", "path": {{Q(bad)}}}, "server": true}""", new(400, "backend.addr.path"));
                yield return Create("create.path", $$$"""{"type": "socket", "addr": {"type": "unix", "path": {{{Q(bad)}}}}}""", new(400, "backend.addr.path"));
            }

            // A change's body is the backend, so its fields are named bare ("path"); refused when opened, they are named
            // under "backend." as on create (Chardev.ChangeBackendAsync). Either names the field.
            foreach (var bad in Sample(planted.ForbiddenPaths(), 10))
            {
                yield return Put("put.path", $$"""{"type": "file", "path": {{Q(bad)}}}""", new(400, "path") { OrField = "backend.path" });
                yield return Put("put.path", $$"""{"type": "pipe", "path": {{Q(bad)}}}""", new(400, "path") { OrField = "backend.path" });
                yield return Put("put.path", $$"""{"type": "socket", "addr": {"type": "unix", "path": {{Q(bad)}}}, "server": true}""", new(400, "addr.path") { OrField = "backend.addr.path" });
            }

            // A create refused at open leaves the files it named as they were: an existing log is not emptied, a new one not left behind.
            var kept = 0;
            foreach (var (backend, field) in new[]
            {
                ("""{"type": "file", "path": "fz-link-out"}""", "backend.path"), ("""{"type": "pipe", "path": "fz-link-out"}""", "backend.path"),
                ("""{"type": "socket", "addr": {"type": "unix", "path": "fz-link-sock"}}""", "backend.addr.path"),
                ("""{"type": "file", "path": "fz-out.txt", "in": "fz-link-out"}""", "backend.in"),
            })
            {
                yield return Create("create.refused-keeps-files", backend, new(400, field), $"\"logfile\": \"fz-keep-{++kept}.log\", ");
                yield return Create("create.refused-keeps-files", backend, new(400, field), $"\"logfile\": \"fz-new-{kept}.log\", ");
            }

            foreach (var (extra, backend, field) in new[]
            {
                ("", $$"""{"type": "ringbuf", "size": {{BufferLimit}}}""", "backend.size"), ("", """{"type": "ringbuf"}""", "backend.size"),
                ("", """{"type": "ringbuf", "size": 1073741824}""", "backend.size"), ("", """{"type": "ringbuf", "size": 16384}""", "backend.size"),
                ("\"history\": 8192, ", """{"type": "ringbuf", "size": 8192}""", "backend.size"), ("\"history\": 16777216, ", """{"type": "ringbuf", "size": 64}""", "backend.size"),
                ($"\"history\": {BufferLimit}, ", """{"type": "null"}""", "history"), ("\"history\": 16777216, ", """{"type": "testdev"}""", "history"),
                ("\"history\": 11265, ", """{"type": "null"}""", "history"), ("\"history\": 12288, \"logfile\": \"fz-keep-5.log\", ", """{"type": "testdev"}""", "history"),
                ("\"logfile\": \"fz-keep-6.log\", ", """{"type": "ringbuf"}""", "backend.size"),
            })
            {
                yield return Create("create.buffer", backend, new(409, field, "CharWeb:Limits:MaxBufferBytes"), extra);
            }

            foreach (var (id, backend) in new[]
            {
                ("rb", $$"""{"type": "ringbuf", "size": {{BufferLimit}}}"""), ("rb", """{"type": "ringbuf"}"""), ("echo", """{"type": "ringbuf", "size": 16384}"""),
                ("quiet", """{"type": "ringbuf"}"""), ("spare", """{"type": "ringbuf", "size": 1073741824}"""), ("holder", """{"type": "ringbuf", "size": 32768}"""),
            })
            {
                yield return new RestCase("put.buffer", "PUT", $"/api/chardevs/{id}/backend", backend) { Expect = new(409, "size", "CharWeb:Limits:MaxBufferBytes") };
            }

            // Last: were a hard link to the database opened for writing, the database would be gone for every request after it.
            foreach (var alias in planted.DatabaseAliases)
            {
                yield return Create("create.db-alias", $$"""{"type": "file", "path": "{{alias}}", "append": true}""", new(400, "backend.path", "CharWeb's own database"));
                yield return Create("create.db-alias", $$"""{"type": "file", "path": "fz-never-made.txt", "in": "{{alias}}"}""", new(400, "backend.in", "CharWeb's own database"));
                yield return Create("create.db-alias", $$"""{"type": "pipe", "path": "{{alias}}"}""", new(400, "backend.path", "CharWeb's own database"));
                yield return Create("create.db-alias", """{"type": "null"}""", new(400, "logfile", "CharWeb's own database"), $"\"logfile\": \"{alias}\", \"logappend\": true, ");
                yield return Create("create.db-alias", """{"type": "null"}""", new(400, "logfile", "CharWeb's own database"), $"\"logfile\": \"{alias}\", ");
                yield return Create("create.db-alias", $$"""{"type": "file", "path": "{{alias}}"}""", new(400, "backend.path", "CharWeb's own database"));
            }
        }

        public IEnumerable<QmpCase> PolicyQmpCases(PlantedFiles planted)
        {
            QmpCase Add(string group, string backend, string? says) => new(group, QmpAdd(FreshId(), backend)) { Says = says };
            QmpCase Change(string group, string id, string backend, string? says) =>
                new(group, $$$"""{"execute": "chardev-change", "arguments": {"id": {{{Q(id)}}}, "backend": {{{backend}}}}}""") { Says = says };

            // Not the all-digit ones: QAPI sends numbers as strings, so QapiBackend makes "0" a number before the host is judged.
            foreach (var (host, says) in Sample(ForbiddenHosts.Where(h => !h.Host.All(char.IsAsciiDigit)).ToArray(), 10))
            {
                var client = $$$"""{"type": "socket", "data": {"addr": {"type": "inet", "data": {"host": {{{Q(host)}}}, "port": "22"}}, "server": false}}""";
                var udp = $$$$"""{"type": "udp", "data": {"remote": {"host": {{{{Q(host)}}}}, "port": "9"}}}""";
                yield return Add("qmp.destination", client, says);
                yield return Add("qmp.destination", udp, says);
                yield return Change("qmp.destination", Pick(Existing), client, says);
                yield return Change("qmp.destination", Pick(Existing), udp, says);
            }

            foreach (var device in Sample(ForbiddenDevices, 6))
            {
                yield return Add("qmp.device", $$$"""{"type": "serial", "data": {"path": {{{Q(device)}}}}}""", "CharWeb:Devices:Allowed");
                yield return Add("qmp.device", $$$"""{"type": "parallel", "data": {"path": {{{Q(device)}}}}}""", "CharWeb:Devices:Allowed");
                yield return Change("qmp.device", Pick(Existing), $$$"""{"type": "serial", "data": {"path": {{{Q(device)}}}}}""", "CharWeb:Devices:Allowed");
            }

            foreach (var command in Sample(ForbiddenCommands, 5))
            {
                yield return Add("qmp.exec", $$$"""{"type": "exec", "data": {"command": {{{Q(command)}}}, "args": ["hi"]}}""", "CharWeb:Exec:Allowed");
            }

            foreach (var (args, says) in Sample(WrongPinnedArgs, 4))
            {
                yield return Add("qmp.exec", $$$"""{"type": "exec", "data": {"command": "/bin/echo", "args": {{{args}}}}}""", says);
                yield return Change("qmp.exec", Pick(Existing), $$$"""{"type": "exec", "data": {"command": "/bin/echo", "args": {{{args}}}}}""", says);
            }

            foreach (var bad in Sample(planted.ForbiddenPaths(), 10))
            {
                yield return Add("qmp.path", $$$"""{"type": "file", "data": {"out": {{{Q(bad)}}}}}""", null);
                yield return Add("qmp.path", $$$"""{"type": "null", "data": {"logfile": {{{Q(bad)}}}}}""", null);
                yield return Add("qmp.path", $$$"""{"type": "pipe", "data": {"path": {{{Q(bad)}}}}}""", null);
                yield return Change("qmp.path", Pick(Existing), $$$"""{"type": "file", "data": {"out": {{{Q(bad)}}}}}""", null);
            }

            foreach (var backend in new[] { $$$"""{"type": "ringbuf", "data": {"size": {{{BufferLimit}}}}}""", """{"type": "ringbuf", "data": {}}""", """{"type": "memory", "data": {}}""", """{"type": "memory", "data": {"size": 1073741824}}""" })
            {
                yield return Add("qmp.buffer", backend, "CharWeb:Limits:MaxBufferBytes");
                yield return Change("qmp.buffer", Pick(Existing), backend, "CharWeb:Limits:MaxBufferBytes");
            }

            foreach (var alias in planted.DatabaseAliases)
            {
                yield return Add("qmp.db-alias", $$$"""{"type": "file", "data": {"out": "{{{alias}}}"}}""", "CharWeb's own database");
                yield return Add("qmp.db-alias", $$$"""{"type": "null", "data": {"logfile": "{{{alias}}}"}}""", "CharWeb's own database");
            }
        }

        /// <summary>
        /// One connection holds its one console (on echo) and its one list watcher; every further attach or watch on it
        /// is refused naming the per-connection limit, and an attach to echo from a second connection names the per-chardev one.
        /// Both connections stay usable: the first still echoes, the second attaches elsewhere (its refusals gave their count back).
        /// </summary>
        public async Task LimitHubAsync()
        {
            HubConsole first, second;
            try
            {
                first = await HubConsole.ConnectAsync(server, keep: true);
                second = await HubConsole.ConnectAsync(server);
            }
            catch (Exception ex) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                Failures.Add($"[hub] could not connect: {ex.GetType().Name}: {ex.Message}");
                return;
            }

            await using (first)
            await using (second)
            {
                if (!await EchoesAsync(first, "attached to its one console", attach: true))
                {
                    return;
                }

                using var watching = new CancellationTokenSource();
                var watcher = first.Connection.StreamAsync<List<Dictionary<string, object?>>>("WatchChardevs", watching.Token).GetAsyncEnumerator(watching.Token);
                try
                {
                    if (!await watcher.MoveNextAsync().AsTask().WaitAsync(CharWebServer.Timeout()))
                    {
                        Failures.Add("[hub] WatchChardevs ended without sending the list");
                        return;
                    }
                }
                catch (Exception ex) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    Failures.Add($"[hub] the connection's one WatchChardevs failed: {ex.GetType().Name}: {ex.Message}");
                    return;
                }

                const string perConnection = "CharWeb:Limits:MaxConsolesPerConnection";
                const string watchers = "CharWeb:Limits:MaxWatchersPerConnection";
                var overConnection = new[] { "rb", "spare", "echo", "ghost", "rb" }
                    .Select(id => Stream("hub.limit", $"Attach(\"{id}\") with MaxConsolesPerConnection 1 taken", "Attach", id) with { Says = perConnection })
                    .Concat(Enumerable.Range(1, 3).Select(i => Stream("hub.limit", $"WatchChardevs() #{i + 1} with MaxWatchersPerConnection 1 taken", "WatchChardevs") with { Says = watchers }));
                if (!await HubCallsAsync(first.Connection, overConnection))
                {
                    return;
                }

                var overChardev = Enumerable.Range(1, 3)
                    .Select(i => Stream("hub.limit", $"Attach(\"echo\") #{i} from a second connection with MaxConsolesPerChardev 1 taken", "Attach", "echo") with { Says = "CharWeb:Limits:MaxConsolesPerChardev" });
                if (!await HubCallsAsync(second.Connection, overChardev))
                {
                    return;
                }

                await EchoesAsync(first, "after the refusals over its limits", attach: false);
                try
                {
                    await second.AttachAsync("rb");
                }
                catch (Exception ex) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    Failures.Add($"[hub] after its refused attaches to echo, the second connection could not attach to rb: {ex.GetType().Name}: {ex.Message}");
                }

                await watching.CancelAsync();
                await watcher.DisposeAsync().AsTask().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
