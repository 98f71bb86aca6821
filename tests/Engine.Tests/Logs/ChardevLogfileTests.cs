using System.Text;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Tests.Logs;

/// <summary>Logs kept as conserver keeps them: stamped lines, event lines, rotation; on a real engine and real files, with the engine's clock in hand.</summary>
public sealed class ChardevLogfileTests
{
    private const string T0 = "2026-11-25T12:00:00.000Z";

    [Fact]
    public async Task EachLineIsStampedOnceWithTheTimeItsFirstByteArrived()
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log", LogTimestamps = true });

        await WriteAsync(echo, "hel");
        engine.Time.Advance(TimeSpan.FromMilliseconds(1500));
        await WriteAsync(echo, "lo\r\nwor");
        engine.Time.Advance(TimeSpan.FromMilliseconds(250));
        await WriteAsync(echo, "ld\r\n\r\n");
        engine.Time.Advance(TimeSpan.FromSeconds(1));
        await WriteAsync(echo, "50%\r100%\r\n");

        Assert.Equal(
            $"[{T0}] hello\r\n" +
            "[2026-11-25T12:00:01.500Z] world\r\n" +
            "[2026-11-25T12:00:01.750Z] \r\n" +
            "[2026-11-25T12:00:02.750Z] 50%\r100%\r\n",
            await ReadAsync(engine, "echo.log"));
    }

    [Fact]
    public async Task EventLinesStandAloneInConserversShapeAndNeverInsideAnOutputLine()
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log", LogEvents = true });

        await WriteAsync(echo, "half a li");
        var olivia = echo.Attach(new ConsoleOptions { User = "olivia", RemoteAddress = "127.0.0.1:5555" });
        var bob = echo.Attach(new ConsoleOptions { User = "bob", RemoteAddress = "10.0.0.2:40000" });
        var eve = echo.Attach(new ConsoleOptions { User = "eve", RemoteAddress = "10.0.0.3:1", ReadOnly = true });
        await WriteAsync(echo, "ne\r\n");
        echo.TakeWriter(bob);
        await echo.SendBreakAsync("bob@10.0.0.2:40000 (console)", EngineHarness.Timeout());
        await WriteAsync(echo, "x\r");
        await bob.DisposeAsync();
        await olivia.DisposeAsync();
        await eve.DisposeAsync();

        var at = $" -- {T0}]\r\n";
        Assert.Equal(
            $"[-- Console up{at}" +
            "half a li\r\n" +
            $"[-- olivia@127.0.0.1:5555 attached read-write{at}" +
            $"[-- olivia@127.0.0.1:5555 has the writer seat{at}" +
            $"[-- bob@10.0.0.2:40000 attached read-write{at}" +
            $"[-- eve@10.0.0.3:1 attached read-only{at}" +
            "ne\r\n" +
            $"[-- bob@10.0.0.2:40000 bumped olivia@127.0.0.1:5555{at}" +
            $"[-- break sent by bob@10.0.0.2:40000 (console){at}" +
            "x\r\n" +
            $"[-- bob@10.0.0.2:40000 detached{at}" +
            $"[-- olivia@127.0.0.1:5555 has the writer seat{at}" +
            $"[-- olivia@127.0.0.1:5555 detached{at}" +
            $"[-- nobody has the writer seat{at}" +
            $"[-- eve@10.0.0.3:1 detached{at}",
            await ReadAsync(engine, "echo.log"));
    }

    [Fact]
    public async Task WithTimestampsEventLinesAreStampedLikeEveryOtherLine()
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log", LogTimestamps = true, LogEvents = true });

        await WriteAsync(echo, "boot");
        engine.Time.Advance(TimeSpan.FromSeconds(2));
        await echo.SendBreakAsync(EngineHarness.Timeout());
        await WriteAsync(echo, "ed\n");

        Assert.Equal(
            $"[{T0}] [-- Console up -- {T0}]\r\n" +
            $"[{T0}] boot\r\n" +
            "[2026-11-25T12:00:02.000Z] [-- break sent -- 2026-11-25T12:00:02.000Z]\r\n" +
            "[2026-11-25T12:00:02.000Z] ed\n",
            await ReadAsync(engine, "echo.log"));
    }

    [Fact]
    public async Task RotationRenamesAtALinesEndKeepsTheNewestFilesAndLosesNoByte()
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "logs/echo.log", LogMaxBytes = 4096, LogMaxFiles = 3 });
        var written = new StringBuilder();
        for (var i = 0; i < 800; i++)
        {
            // Lines split across writes, so rotations meet lines under way.
            var text = $"line {i:D4} {new string('x', i % 37)}\r\n".Insert(i % 11, i % 3 == 0 ? "" : "|");
            foreach (var part in new[] { text[..(text.Length / 2)], text[(text.Length / 2)..] })
            {
                await WriteAsync(echo, part);
                written.Append(part);
            }

            engine.Time.Advance(TimeSpan.FromMilliseconds(300));
        }

        var logs = echo.Logfiles();
        var rotated = logs.Where(l => !l.Current).ToList();
        Assert.Equal("echo.log", logs[0].Name);
        Assert.True(logs[0].Current);
        Assert.Equal(3, rotated.Count);
        Assert.All(rotated, l => Assert.Matches(@"^echo\.log-2026112[56]-[0-9]{6}$", l.Name));
        Assert.Equal(rotated.Select(l => l.Name).OrderDescending(StringComparer.Ordinal), rotated.Select(l => l.Name));
        var contents = new List<string>();
        foreach (var log in logs.AsEnumerable().Reverse())
        {
            var text = await ReadAsync(engine, "logs/" + log.Name);
            Assert.Equal(log.Bytes, text.Length);
            Assert.True(text.Length <= 4096, $"{log.Name} has {text.Length} bytes");
            contents.Add(text);
        }

        Assert.All(contents[..^1], text => Assert.EndsWith("\r\n", text));
        Assert.EndsWith(string.Concat(contents), written.ToString());
        Assert.True(string.Concat(contents).Length > 3 * 3000, "the kept logs hold most of 4 KiB each");
        Assert.True(written.Length > 5 * 4096, "older rotated logs were removed");
        Assert.Equal(4, Directory.GetFiles(Path.Combine(engine.DataDir, "logs")).Length);
    }

    [Fact]
    public async Task RotationMovesAStampedLineUnderWayIntoTheNewLog()
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log", LogTimestamps = true, LogMaxBytes = 4096 });

        var line = new string('a', 100) + "\n";
        while (new FileInfo(Path.Combine(engine.DataDir, "echo.log")).Length < 4096 - 300)
        {
            await WriteAsync(echo, line);
        }

        await WriteAsync(echo, "under way");
        engine.Time.Advance(TimeSpan.FromSeconds(5));
        // No newline of the rest fits in this log: the line under way moves to the next one.
        var dashes = new string('-', 400);
        await WriteAsync(echo, $" and ended {dashes}\n{line}{line}");

        var rotated = Assert.Single(echo.Logfiles(), l => !l.Current);
        Assert.Equal("echo.log-20261125-120005", rotated.Name);
        var old = await ReadAsync(engine, rotated.Name);
        Assert.EndsWith($"[{T0}] {line}", old);
        Assert.Equal(
            $"[{T0}] under way and ended {dashes}\n[2026-11-25T12:00:05.000Z] {line}[2026-11-25T12:00:05.000Z] {line}",
            await ReadAsync(engine, "echo.log"));
    }

    [Fact]
    public async Task ALineLongerThanALogGoesOnInTheNextUnderItsOwnStamp()
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log", LogTimestamps = true, LogMaxBytes = 4096 });

        await WriteAsync(echo, "start\n");
        for (var i = 0; i < 5; i++)
        {
            await WriteAsync(echo, new string((char)('a' + i), 2000));
            engine.Time.Advance(TimeSpan.FromSeconds(1));
        }

        await WriteAsync(echo, "\n");

        var logs = echo.Logfiles().Reverse().ToList();
        Assert.True(logs.Count >= 3, string.Join(", ", logs.Select(l => l.Name)));
        var texts = new List<string>();
        foreach (var log in logs)
        {
            texts.Add(await ReadAsync(engine, log.Name));
        }

        // The long line's first byte came at T0: every piece of it starts a log with that stamp.
        Assert.StartsWith($"[{T0}] start\n[{T0}] aaaa", texts[0]);
        Assert.All(texts[1..], text => Assert.StartsWith($"[{T0}] ", text));
        Assert.Equal(
            "start\n" + string.Concat(Enumerable.Range(0, 5).Select(i => new string((char)('a' + i), 2000))) + "\n",
            string.Concat(texts.Select(text => text.Replace($"[{T0}] ", "", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task ARestartAppendsGoesOnWithALineUnderWayAndStampsTheNext()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        var definition = new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log", LogTimestamps = true, LogMaxBytes = 4096 };
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            await WriteAsync(await CreateAsync(engine, definition), "one\r\ntw");
        }

        await using (var restarted = await EngineHarness.StartAsync(dataDir))
        {
            restarted.Time.Advance(TimeSpan.FromSeconds(3));
            await WriteAsync(restarted.Registry.Get("echo"), "o\r\nthree\r\n");
            Assert.Equal(
                $"[{T0}] one\r\n[{T0}] two\r\n[2026-11-25T12:00:03.000Z] three\r\n",
                await ReadAsync(restarted, "echo.log"));
        }
    }

    [Fact]
    public async Task ARotatedNameAlreadyTakenIsNeverReplacedAndALinkThereIsNeitherListedNorFollowed()
    {
        await using var engine = await EngineHarness.StartAsync();
        var outside = Path.Combine(Directory.CreateTempSubdirectory("charweb-outside-").FullName, "secret");
        await File.WriteAllTextAsync(outside, "secret", EngineHarness.Timeout());
        File.CreateSymbolicLink(Path.Combine(engine.DataDir, "echo.log-20261125-120000"), outside);
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log", LogMaxBytes = 4096, LogMaxFiles = 1 });

        for (var i = 0; i < 3; i++)
        {
            await WriteAsync(echo, new string('z', 4000) + "\n");
        }

        Assert.Equal("secret", await File.ReadAllTextAsync(outside, EngineHarness.Timeout()));
        Assert.True(File.Exists(Path.Combine(engine.DataDir, "echo.log-20261125-120000")), "the link planted is left alone");
        Assert.Equal(["echo.log", "echo.log-20261125-120000-3"], echo.Logfiles().Select(l => l.Name));
        var refused = Assert.Throws<ChardevException>(() => echo.OpenLogfile("echo.log-20261125-120000"));
        Assert.Equal(ChardevErrorKind.Invalid, refused.Kind);
        Assert.Contains("symbolic link", refused.Message);
    }

    [Fact]
    public async Task ALogOpenedForReadingStaysAsItWasWhileTheDeviceGoesOnWriting()
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log" });
        await WriteAsync(echo, "before\n");

        await using var snapshot = echo.OpenLogfile();
        await WriteAsync(echo, "after\n");
        using var reader = new StreamReader(snapshot);

        Assert.Equal(7, snapshot.Length);
        Assert.Equal("before\n", await reader.ReadToEndAsync(EngineHarness.Timeout()));
        snapshot.Seek(-3, SeekOrigin.End);
        Assert.Equal("re\n", Encoding.UTF8.GetString(await ReadRestAsync(snapshot)));
        Assert.Equal("before\nafter\n", await ReadAsync(engine, "echo.log"));
    }

    [Theory]
    [InlineData("../charweb.db")]
    [InlineData("charweb.db")]
    [InlineData("echo.log/../charweb.db")]
    [InlineData("echo.log-20261125-120000/x")]
    [InlineData("echo.log-2026")]
    [InlineData("other.log-20261125-120000")]
    [InlineData("")]
    public async Task ANameThatIsNotOneOfTheLogsIsRefusedBeforeAnyFileIsLookedAt(string name)
    {
        await using var engine = await EngineHarness.StartAsync();
        var echo = await CreateAsync(engine, new ChardevDefinition { Id = "echo", Backend = new TestdevBackendOptions(), Logfile = "echo.log" });

        var refused = Assert.Throws<ChardevException>(() => echo.OpenLogfile(name));

        Assert.Equal(ChardevErrorKind.Invalid, refused.Kind);
        Assert.Equal("name", Assert.Single(refused.Errors).Field);
    }

    private static async Task<Chardev> CreateAsync(EngineHarness engine, ChardevDefinition definition) =>
        await engine.Registry.CreateAsync(definition, EngineHarness.Timeout());

    private static async Task WriteAsync(Chardev chardev, string text) =>
        Assert.Equal(Encoding.UTF8.GetByteCount(text), await chardev.WriteAsync(Encoding.UTF8.GetBytes(text), EngineHarness.Timeout()));

    private static async Task<byte[]> ReadRestAsync(Stream stream)
    {
        using var rest = new MemoryStream();
        await stream.CopyToAsync(rest, EngineHarness.Timeout());
        return rest.ToArray();
    }

    private static Task<string> ReadAsync(EngineHarness engine, string name) =>
        File.ReadAllTextAsync(Path.Combine(engine.DataDir, name), EngineHarness.Timeout());
}
