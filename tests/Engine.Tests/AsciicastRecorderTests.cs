using System.Text;
using System.Text.Json;
using CharWeb.Engine.Backends;

namespace CharWeb.Engine.Tests;

/// <summary><c>record: true</c>: asciicast v2 files, parsed back as a player would, with times from the fake clock.</summary>
public sealed class AsciicastRecorderTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task HeaderAndOutputEventsParseAsAsciicastV2WithTheClocksTimings()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await RecordAsync(engine);

        engine.Time.Advance(TimeSpan.FromSeconds(1.5));
        await WriteAsync(chardev, "hello\r\n"u8.ToArray());
        engine.Time.Advance(TimeSpan.FromMilliseconds(250));
        await WriteAsync(chardev, "\e[1mworld\e[0m"u8.ToArray());

        var cast = Read(Path.Combine(engine.DataDir, "records", "dev.cast"));
        Assert.Equal(2, cast.Header.GetProperty("version").GetInt32());
        Assert.Equal(80, cast.Header.GetProperty("width").GetInt32());
        Assert.Equal(24, cast.Header.GetProperty("height").GetInt32());
        Assert.Equal(Start.ToUnixTimeSeconds(), cast.Header.GetProperty("timestamp").GetInt64());
        Assert.Equal("dev", cast.Header.GetProperty("title").GetString());
        Assert.Equal([(1.5, "o", "hello\r\n"), (1.75, "o", "\e[1mworld\e[0m")], cast.Events);
    }

    [Fact]
    public async Task AUtf8CharacterSplitAcrossChunksIsOneCharacterAndInvalidBytesBecomeReplacementCharacters()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await RecordAsync(engine);

        await WriteAsync(chardev, [(byte)'a', 0xE2, 0x82]);
        engine.Time.Advance(TimeSpan.FromSeconds(1));
        await WriteAsync(chardev, [0xAC, (byte)'b']);
        engine.Time.Advance(TimeSpan.FromSeconds(1));
        await WriteAsync(chardev, [(byte)'c', 0xFF, (byte)'d', 0xC3]);
        await WriteAsync(chardev, [(byte)'e']);

        var cast = Read(Path.Combine(engine.DataDir, "records", "dev.cast"));
        Assert.Equal([(0.0, "o", "a"), (1.0, "o", "€b"), (2.0, "o", "c\uFFFDd"), (2.0, "o", "\uFFFDe")], cast.Events);
    }

    [Fact]
    public async Task AResizeOfTheWritersTerminalIsAnREventAndAPtysSizeIsTheHeaders()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await RecordAsync(engine, new PtyBackendOptions { Cols = 100, Rows = 30 });

        engine.Time.Advance(TimeSpan.FromSeconds(3));
        chardev.Resize(132, 43);
        chardev.Resize(132, 43);

        var cast = Read(Path.Combine(engine.DataDir, "records", "dev.cast"));
        Assert.Equal(100, cast.Header.GetProperty("width").GetInt32());
        Assert.Equal(30, cast.Header.GetProperty("height").GetInt32());
        Assert.Equal([(3.0, "r", "132x43")], cast.Events);
    }

    [Fact]
    public async Task PassingRecordMaxBytesRotatesToATimestampedFileAndBothPlayOnTheirOwn()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await RecordAsync(engine, maxBytes: ChardevDefinition.MinRecordMaxBytes);
        var line = new string('x', 99) + "\n";

        for (var i = 0; i < 50; i++)
        {
            engine.Time.Advance(TimeSpan.FromSeconds(1));
            await WriteAsync(chardev, Encoding.UTF8.GetBytes(line));
        }

        var folder = Path.Combine(engine.DataDir, "records");
        var rotated = Path.Combine(folder, "dev.cast-20261125-120036");
        Assert.Equal(["dev.cast", "dev.cast-20261125-120036"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        var first = Read(rotated);
        var second = Read(Path.Combine(folder, "dev.cast"));
        Assert.True(new FileInfo(rotated).Length <= ChardevDefinition.MinRecordMaxBytes, "the rotated file stays within recordMaxBytes");
        Assert.Equal(35, first.Events.Count);
        Assert.Equal(35.0, first.Events[^1].Time);
        Assert.Equal((Start + TimeSpan.FromSeconds(36)).ToUnixTimeSeconds(), second.Header.GetProperty("timestamp").GetInt64());
        Assert.Equal(0.0, second.Events[0].Time);
        Assert.Equal(50.0 - 36, second.Events[^1].Time);
        Assert.Equal(string.Concat(Enumerable.Repeat(line, 50)), string.Concat(first.Events.Concat(second.Events).Select(e => e.Data)));
    }

    [Fact]
    public async Task ARestartRotatesTheOldRecordingAsideSoEveryFileStaysValid()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-engine-").FullName;
        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            var chardev = await RecordAsync(engine);
            engine.Time.Advance(TimeSpan.FromSeconds(2));
            await WriteAsync(chardev, "before"u8.ToArray());
        }

        await using (var engine = await EngineHarness.StartAsync(dataDir))
        {
            var chardev = engine.Registry.Get("dev");
            engine.Time.Advance(TimeSpan.FromSeconds(5));
            await WriteAsync(chardev, "after"u8.ToArray());
        }

        var folder = Path.Combine(dataDir, "records");
        Assert.Equal([(2.0, "o", "before")], Read(Path.Combine(folder, "dev.cast-20261125-120000")).Events);
        Assert.Equal([(5.0, "o", "after")], Read(Path.Combine(folder, "dev.cast")).Events);
    }

    [Fact]
    public async Task RotatedRecordingsBeyondRecordMaxFilesAreRemovedOldestFirst()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await RecordAsync(engine, maxBytes: ChardevDefinition.MinRecordMaxBytes, maxFiles: 2);
        var line = new string('y', 1899) + "\n";

        // Two of these events and the header fit in 4096 bytes, a third does not: every second event rotates.
        for (var i = 0; i < 10; i++)
        {
            engine.Time.Advance(TimeSpan.FromSeconds(1));
            await WriteAsync(chardev, Encoding.UTF8.GetBytes(line));
        }

        var folder = Path.Combine(engine.DataDir, "records");
        Assert.Equal(["dev.cast", "dev.cast-20261125-120007", "dev.cast-20261125-120009"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal(2, Read(Path.Combine(folder, "dev.cast-20261125-120007")).Events.Count);
        Assert.Equal([9.0 - 9, 10.0 - 9], Read(Path.Combine(folder, "dev.cast")).Events.Select(e => e.Time));
    }

    [Fact]
    public async Task RotationsWithinOneSecondKeepTheNewestWhenOlderOnesArePruned()
    {
        await using var engine = await EngineHarness.StartAsync();
        var chardev = await RecordAsync(engine, maxBytes: ChardevDefinition.MinRecordMaxBytes, maxFiles: 2);
        var lines = Enumerable.Range(0, 10).Select(i => new string((char)('a' + i), 1899) + "\n").ToList();
        foreach (var line in lines)
        {
            await WriteAsync(chardev, Encoding.UTF8.GetBytes(line));
        }

        // Four rotations in one second: -2, -3, -4 follow the first, which was pruned; a freed lower name is never reused.
        var folder = Path.Combine(engine.DataDir, "records");
        Assert.Equal(["dev.cast", "dev.cast-20261125-120000-3", "dev.cast-20261125-120000-4"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        var kept = new[] { "dev.cast-20261125-120000-3", "dev.cast-20261125-120000-4", "dev.cast" }.SelectMany(name => Read(Path.Combine(folder, name)).Events);
        Assert.Equal(lines.Skip(4), kept.Select(e => e.Data));
    }

    [Fact]
    public async Task ARecordMaxBytesBelowTheMinimumIsRefusedNamingTheField()
    {
        await using var engine = await EngineHarness.StartAsync();
        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.CreateAsync(
            new ChardevDefinition { Id = "dev", Backend = new TestdevBackendOptions(), Record = true, RecordMaxBytes = 100 }, EngineHarness.Timeout()));
        Assert.Contains(error.Errors, e => e.Field == "recordMaxBytes");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ChardevDefinition.MaxLogMaxFiles + 1)]
    public async Task ARecordMaxFilesOutOfRangeIsRefusedNamingTheField(int maxFiles)
    {
        await using var engine = await EngineHarness.StartAsync();
        var error = await Assert.ThrowsAsync<ChardevException>(() => engine.Registry.CreateAsync(
            new ChardevDefinition { Id = "dev", Backend = new TestdevBackendOptions(), Record = true, RecordMaxFiles = maxFiles }, EngineHarness.Timeout()));
        Assert.Contains(error.Errors, e => e.Field == "recordMaxFiles");
        Assert.Empty(engine.Registry.All);
    }

    private static Task<Chardev> RecordAsync(
        EngineHarness engine, BackendOptions? backend = null, int maxBytes = ChardevDefinition.DefaultRecordMaxBytes, int maxFiles = ChardevDefinition.DefaultLogMaxFiles) =>
        engine.Registry.CreateAsync(
            new ChardevDefinition { Id = "dev", Backend = backend ?? new TestdevBackendOptions(), Record = true, RecordMaxBytes = maxBytes, RecordMaxFiles = maxFiles },
            EngineHarness.Timeout());

    private static async Task WriteAsync(Chardev chardev, byte[] data) =>
        Assert.Equal(data.Length, await chardev.WriteAsync(data, EngineHarness.Timeout()));

    private static Cast Read(string path)
    {
        var lines = File.ReadAllLines(path);
        using var header = JsonDocument.Parse(lines[0]);
        var events = lines.Skip(1).Select(line =>
        {
            using var e = JsonDocument.Parse(line);
            Assert.Equal(3, e.RootElement.GetArrayLength());
            return (e.RootElement[0].GetDouble(), e.RootElement[1].GetString()!, e.RootElement[2].GetString()!);
        }).ToList();
        return new Cast(header.RootElement.Clone(), events);
    }

    private sealed record Cast(JsonElement Header, List<(double Time, string Code, string Data)> Events);
}
