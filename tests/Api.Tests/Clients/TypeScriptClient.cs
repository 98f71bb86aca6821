using CharWeb.Api.Tests.Reliability;

namespace CharWeb.Api.Tests.Clients;

/// <summary>
/// Tests that run code generators, compilers and linters (npm's, Kiota): CPU-heavy child processes, so
/// they run alone and never starve the timed tests of other classes.
/// </summary>
[CollectionDefinition(nameof(ExternalTools), DisableParallelization = true)]
public sealed class ExternalTools;

/// <summary>
/// clients/typescript's npm scripts, as its README has a TypeScript user run them, against a live server
/// (<c>CHARWEB_URL</c>, and <c>CHARWEB_TOKEN</c> for an API key). Its node_modules come from <c>npm ci</c>
/// (the test project's build runs it, pinned by package-lock.json).
/// </summary>
internal static class TypeScriptClient
{
    public static string Root => Path.Combine(CharWebServer.RepoRoot(), "clients", "typescript");

    public static async Task<string> RunAsync(CharWebServer server, string script, string? token = null, params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["CHARWEB_URL"] = server.BaseAddress.ToString().TrimEnd('/'),
            ["REDOCLY_TELEMETRY"] = "off",
            ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true",
            ["NO_COLOR"] = "1",
        };
        if (token is not null)
        {
            environment["CHARWEB_TOKEN"] = token;
        }

        var (code, output) = await PublishedServer.RunAsync("npm", ["run", "--silent", script, "--", .. args], Root, 180, environment);
        Assert.True(code == 0, $"npm run {script} failed ({code}): {output}");
        return output;
    }
}
