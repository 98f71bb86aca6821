using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Reliability;

namespace CharWeb.Api.Tests;

/// <summary>
/// What the Dockerfile ships: the same <c>dotnet publish</c>, started as its own process with the
/// container's settings (data folder from the environment), answering <c>GET /api/chardevs</c>.
/// </summary>
public sealed class PublishedAppTests
{
    [Fact]
    public async Task PublishedAppStartsAndServesChardevsFromItsDataFolder()
    {
        var app = await PublishedServer.PublishAsync();
        Assert.True(File.Exists(Path.Combine(app, "wwwroot", "index.html")), "the page is not in the published output");
        Assert.True(File.Exists(Path.Combine(app, "wwwroot", "lib", "xterm.js")), "xterm.js is not in the published output");
        var dataDir = Directory.CreateTempSubdirectory("charweb-data-").FullName;

        await using var server = await PublishedServer.StartAsync(dataDir);
        var chardevs = (await server.Http.GetFromJsonAsync<JsonArray>("/api/chardevs", CharWebServer.Timeout()))!;
        var health = (await server.Http.GetFromJsonAsync<JsonObject>("/healthz", CharWebServer.Timeout()))!;

        Assert.Contains(chardevs, c => c!["id"]!.GetValue<string>() == "demo");
        Assert.Equal("healthy", health["status"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(dataDir, "charweb.db")));
    }
}
