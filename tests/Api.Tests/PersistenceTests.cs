using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests;

public sealed class PersistenceTests
{
    [Fact]
    public async Task ThreeChardevsComeBackAfterARestartOnTheSameDatabase()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-api-").FullName;
        string[] bodies =
        [
            """{"id": "vm1-serial", "history": 4096, "logfile": "logs-vm1.log", "backend": {"type": "testdev"}}""",
            """{"id": "rb", "backend": {"type": "ringbuf", "size": 256}}""",
            """{"id": "out", "logappend": true, "backend": {"type": "file", "path": "out.txt", "append": true}}""",
        ];
        var before = new List<JsonNode?>();
        await using (var server = await CharWebServer.StartAsync(dataDir))
        {
            foreach (var body in bodies)
            {
                await server.CreateAsync(body);
            }

            before.AddRange(await server.ListAsync());
        }

        Assert.True(File.Exists(Path.Combine(dataDir, "charweb.db")));
        await using var restarted = await CharWebServer.StartAsync(dataDir);
        var after = await restarted.ListAsync();

        Assert.Equal(3, after.Count);
        foreach (var field in new[] { "id", "backend", "history", "logfile", "logappend", "createdAt", "filename", "state" })
        {
            Assert.Equal(before.Select(c => c![field]?.ToJsonString()), after.Select(c => c![field]?.ToJsonString()));
        }
    }

    [Fact]
    public async Task ChardevsDeclaredInConfigurationAreThereAtStart()
    {
        var settings = new Dictionary<string, string?>
        {
            ["CharWeb:Chardevs:0:id"] = "lab-rb",
            ["CharWeb:Chardevs:0:history"] = "128",
            ["CharWeb:Chardevs:0:backend:type"] = "ringbuf",
            ["CharWeb:Chardevs:0:backend:size"] = "1024",
        };
        await using var server = await CharWebServer.StartAsync(settings: settings);

        var declared = await server.GetAsync("lab-rb");

        Assert.Equal("config", declared["source"]!.GetValue<string>());
        Assert.Equal(1024, declared["backend"]!["size"]!.GetValue<int>());
        Assert.Equal(128, declared["history"]!.GetValue<int>());
    }

    [Fact]
    public async Task InvalidDeclaredChardevStopsTheServerFromStartingAndSaysWhy()
    {
        var settings = new Dictionary<string, string?>
        {
            ["CharWeb:Chardevs:0:id"] = "bad",
            ["CharWeb:Chardevs:0:backend:type"] = "ringbuf",
            ["CharWeb:Chardevs:0:backend:size"] = "3",
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CharWebServer.StartAsync(settings: settings));

        Assert.Contains("backend.size: must be a power of two", error.Message);
    }

    [Fact]
    public async Task ShippedConfigurationDeclaresTheDemoChardev()
    {
        await using var server = await CharWebServer.StartAsync(contentRoot: Path.Combine(CharWebServer.RepoRoot(), "src", "Api"));

        var demo = await server.GetAsync("demo");

        Assert.Equal("testdev", demo["backend"]!["type"]!.GetValue<string>());
        Assert.Equal("open", demo["state"]!.GetValue<string>());
    }
}
