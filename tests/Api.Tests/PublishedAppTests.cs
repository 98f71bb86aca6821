using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CharWeb.Api.Tests;

/// <summary>
/// What the Dockerfile ships: the same <c>dotnet publish</c>, started as its own process with the
/// container's settings (data folder from the environment), answering <c>GET /api/chardevs</c>.
/// </summary>
public sealed partial class PublishedAppTests
{
    [Fact]
    public async Task PublishedAppStartsAndServesChardevsFromItsDataFolder()
    {
        var work = Directory.CreateTempSubdirectory("charweb-publish-").FullName;
        var output = Path.Combine(work, "app");
        var dataDir = Path.Combine(work, "data");
        var publish = await RunAsync("dotnet", ["publish", "src/Api/Api.csproj", "-c", "Release", "-o", output, "-nologo", "-v", "q"], CharWebServer.RepoRoot(), 300);
        Assert.True(publish.ExitCode == 0, "dotnet publish failed: " + publish.Output);
        Assert.True(File.Exists(Path.Combine(output, "wwwroot", "index.html")), "the page is not in the published output");

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = output, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(output, "CharWeb.dll"));
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["CharWeb__DataDir"] = dataDir;
        using var app = Process.Start(start)!;
        try
        {
            var address = await ListeningAddressAsync(app);
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };

            var chardevs = (await http.GetFromJsonAsync<JsonArray>("/api/chardevs", CharWebServer.Timeout()))!;
            var health = (await http.GetFromJsonAsync<JsonObject>("/healthz", CharWebServer.Timeout()))!;

            Assert.Contains(chardevs, c => c!["id"]!.GetValue<string>() == "demo");
            Assert.Equal("healthy", health["status"]!.GetValue<string>());
            Assert.True(File.Exists(Path.Combine(dataDir, "charweb.db")));
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync(CharWebServer.Timeout());
        }
    }

    private static async Task<string> ListeningAddressAsync(Process app)
    {
        var timeout = CharWebServer.Timeout(60);
        while (await app.StandardOutput.ReadLineAsync(timeout) is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                return match.Groups["address"].Value;
            }
        }

        throw new InvalidOperationException("the published app exited before listening: " + await app.StandardError.ReadToEndAsync(timeout));
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string workingDirectory, int timeoutSeconds)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(CharWebServer.Timeout(timeoutSeconds));
        var stderr = process.StandardError.ReadToEndAsync(CharWebServer.Timeout(timeoutSeconds));
        await process.WaitForExitAsync(CharWebServer.Timeout(timeoutSeconds));
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex("Now listening on: (?<address>http://[^\\s]+)")]
    private static partial Regex Listening();
}
