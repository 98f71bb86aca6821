using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CharWeb.Api.Tests.Reliability;

/// <summary>
/// The app as the Dockerfile ships it: <c>dotnet publish</c> once per test run, then started as its
/// own process with the container's settings (data folder from the environment).
/// </summary>
public sealed partial class PublishedServer : IAsyncDisposable
{
    private static readonly SemaphoreSlim PublishLock = new(1, 1);
    private static string? _published;

    private readonly Process _process;

    private PublishedServer(Process process, Uri address)
    {
        _process = process;
        BaseAddress = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>The published output folder, publishing first if this run has not yet.</summary>
    public static async Task<string> PublishAsync()
    {
        await PublishLock.WaitAsync(CharWebServer.Timeout(300));
        try
        {
            if (_published is not null)
            {
                return _published;
            }

            var output = Path.Combine(Directory.CreateTempSubdirectory("charweb-publish-").FullName, "app");
            var (code, log) = await RunAsync("dotnet", ["publish", "src/Api/Api.csproj", "-c", "Release", "-o", output, "-nologo", "-v", "q"], CharWebServer.RepoRoot(), 300);
            Assert.True(code == 0, "dotnet publish failed: " + log);
            return _published = output;
        }
        finally
        {
            PublishLock.Release();
        }
    }

    public static async Task<PublishedServer> StartAsync(string dataDir, IDictionary<string, string>? environment = null)
    {
        var app = await PublishAsync();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(app, "CharWeb.dll"));
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["CharWeb__DataDir"] = dataDir;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        try
        {
            return new PublishedServer(process, new Uri(await ListeningAddressAsync(process)));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(CharWebServer.Timeout());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    /// <summary>Runs a program to its end (killed, with its children, if it outlives <paramref name="timeoutSeconds"/>).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string file, string[] args, string workingDirectory, int timeoutSeconds, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var timeout = CharWebServer.Timeout(timeoutSeconds);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout);
        var stderr = process.StandardError.ReadToEndAsync(timeout);
        try
        {
            await process.WaitForExitAsync(timeout);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static async Task<string> ListeningAddressAsync(Process app)
    {
        var timeout = CharWebServer.Timeout(60);
        while (await app.StandardOutput.ReadLineAsync(timeout) is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                // Keep draining the log so the server never blocks on a full stdout pipe.
                _ = app.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                return match.Groups["address"].Value;
            }
        }

        throw new InvalidOperationException("the published app exited before listening: " + await app.StandardError.ReadToEndAsync(timeout));
    }

    [GeneratedRegex("Now listening on: (?<address>http://[^\\s]+)")]
    private static partial Regex Listening();
}
