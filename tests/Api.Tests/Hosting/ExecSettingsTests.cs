using System.Net;
using CharWeb.Api.Tests.Hubs;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Tests.Hosting;

/// <summary><c>CharWeb:Exec</c> read from real configuration files: bare paths, pinned entries, mistakes.</summary>
public sealed class ExecSettingsTests
{
    private const string MixedAllowList = """
        {"CharWeb": {"Exec": {"Allowed": [
          "/bin/sh",
          {"Command": "/usr/bin/printenv", "Args": ["CHARWEB_PROBE"], "Env": {"CHARWEB_PROBE": "from-config"}},
          {"Command": "/usr/bin/tty", "Args": []}
        ]}}}
        """;

    [Fact]
    public async Task AppsettingsListMixesBarePathsAndPinnedEntriesWithTheirEnv()
    {
        await using var server = await CharWebServer.StartAsync(contentRoot: RootWith(MixedAllowList));

        await server.CreateAsync("""{"id": "probe", "backend": {"type": "exec", "command": "/usr/bin/printenv", "args": ["CHARWEB_PROBE"]}}""");
        await server.CreateAsync("""{"id": "tty", "backend": {"type": "exec", "command": "/usr/bin/tty"}}""");
        await server.CreateAsync("""{"id": "sh", "backend": {"type": "exec", "command": "/bin/sh", "args": ["-c", "read x"]}}""");

        // printenv exits 0 only when the variable is set: the entry's Env reached the program.
        await HubConsole.UntilAsync(async () => (await server.GetAsync("probe"))["state"]!.GetValue<string>() == "closed", "printenv exits");
        Assert.Equal("/usr/bin/printenv exited with code 0", (await server.GetAsync("probe"))["lastError"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/usr/bin/printenv", """["PATH"]""", """exactly: ["CHARWEB_PROBE"]""")]
    [InlineData("/usr/bin/tty", """["-s"]""", "exactly: []")]
    public async Task ArgumentsOtherThanThePinnedOnesAnswer400OnArgsAndCreateNothing(string command, string args, string says)
    {
        await using var server = await CharWebServer.StartAsync(contentRoot: RootWith(MixedAllowList));

        using var response = await server.PostJsonAsync("/api/chardevs", $$$"""{"id": "other", "backend": {"type": "exec", "command": "{{{command}}}", "args": {{{args}}}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Problem.ReadAsync(response);
        Assert.Contains(says, Assert.Single(problem.Errors["backend.args"]));
        using var get = await server.Http.GetAsync("/api/chardevs/other", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task BadExecConfigurationStopsTheServerNamingEveryKeyAtOnce()
    {
        var settings = new Dictionary<string, string?>
        {
            ["CharWeb:Exec:Allowed:0"] = "/bin/sh",
            ["CharWeb:Exec:Allowed:1:Command"] = "picocom",
            ["CharWeb:Exec:Allowed:2:Command"] = "/bin/sh",
            ["CharWeb:Exec:Allowed:2:Args:0"] = "-l",
            ["CharWeb:Exec:Allowed:3:Command"] = "/usr/bin/env",
            ["CharWeb:Exec:Allowed:3:Arg:0"] = "-i",
            ["CharWeb:Exec:Allowed:4:Command"] = "/usr/bin/env",
            ["CharWeb:Exec:Allowed:4:Env:BAD-NAME"] = "1",
            ["CharWeb:Exec:Allowed:5"] = "relative/tool",
            ["CharWeb:Exec:FastExitSeconds"] = "0",
            ["CharWeb:Exec:MaxFastExits"] = "many",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => CharWebServer.StartAsync(settings: settings));

        Assert.Equal(
            [
                "CharWeb:Exec:Allowed:3:Arg: unknown key; CharWeb:Exec:Allowed:3 has Command, Args, Env",
                "CharWeb:Exec:Allowed:1:Command: must be an absolute path, got 'picocom'",
                "CharWeb:Exec:Allowed:2:Command: '/bin/sh' is listed already; list a program once, or once per pinned Args list",
                "CharWeb:Exec:Allowed:4:Env:BAD-NAME: is not a valid variable name (a letter or _, then letters, digits or _)",
                "CharWeb:Exec:Allowed:5: must be an absolute path, got 'relative/tool'",
                "CharWeb:Exec:MaxFastExits: must be a number, got 'many'",
                "CharWeb:Exec:FastExitSeconds: must be above 0, got 0",
            ],
            error.Failures);
    }

    private static string RootWith(string appsettings)
    {
        var root = Directory.CreateTempSubdirectory("charweb-root-").FullName;
        File.WriteAllText(Path.Combine(root, "appsettings.json"), appsettings);
        return root;
    }
}
