using CharWeb.Client;
using CharWeb.Client.Models;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace CharWeb.Api.Tests;

/// <summary>The Kiota client in clients/CharWeb.Client, generated from the live document, drives a real server.</summary>
[Collection(nameof(Clients.ExternalTools))]
public sealed class GeneratedClientTests
{
    [Fact]
    public async Task TypedClientCreatesListsWritesReadsAndRemovesARingbuf()
    {
        // No anonymous loopback: the client must authenticate with its key, as it would from another host.
        await using var server = await CharWebServer.StartAsync(settings: Access.TestKeys.Settings());
        var auth = new BaseBearerTokenAuthenticationProvider(new StaticKey(Access.TestKeys.Admin));
        using var adapter = new HttpClientRequestAdapter(auth, httpClient: server.Http) { BaseUrl = server.BaseAddress.ToString().TrimEnd('/') };
        var client = new CharWebApiClient(adapter);
        var timeout = CharWebServer.Timeout();
        using var anonymous = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: server.Http) { BaseUrl = adapter.BaseUrl };
        var refused = await Assert.ThrowsAsync<ProblemDetails>(() => new CharWebApiClient(anonymous).Api.Chardevs.GetAsync(cancellationToken: timeout));
        var me = await client.Api.Me.GetAsync(cancellationToken: timeout);

        var created = await client.Api.Chardevs.PostAsync(
            new ChardevDefinition { Id = "typed", History = 0, Backend = new BackendOptions { RingbufBackendOptions = new RingbufBackendOptions { Size = 64 } } },
            cancellationToken: timeout);
        var listed = await client.Api.Chardevs.GetAsync(cancellationToken: timeout);
        var written = await client.Api.Chardevs["typed"].Write.PostAsync(new WriteRequest { Data = "from kiota", Format = DataFormat.Utf8 }, cancellationToken: timeout);
        var read = await client.Api.Chardevs["typed"].Read.GetAsync(r => r.QueryParameters.Size = 4, cancellationToken: timeout);
        await client.Api.Chardevs["typed"].DeleteAsync(cancellationToken: timeout);
        var afterDelete = await client.Api.Chardevs.GetAsync(cancellationToken: timeout);

        Assert.Equal(64, created!.Backend!.RingbufBackendOptions!.Size);
        Assert.Equal(RingbufBackendOptions_type.Ringbuf, created.Backend.RingbufBackendOptions.Type);
        Assert.Equal(ChardevState.Open, created.State);
        Assert.Contains(listed!, c => c.Id == "typed" && c.Backend!.RingbufBackendOptions is not null);
        Assert.Equal(10, written!.Accepted);
        Assert.Equal("from", read!.Data);
        Assert.DoesNotContain(afterDelete!, c => c.Id == "typed");
        Assert.Equal(401, refused.Status);
        Assert.Equal("urn:charweb:problem:unauthenticated", refused.Type);
        Assert.Equal(("admin-key", "admin", "apikey"), (me!.Name, me.Role, me.Via));
    }

    [Fact]
    public async Task TypedClientListsRotatedLogsAndReadsOneInPart()
    {
        await using var server = await CharWebServer.StartAsync();
        using var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: server.Http) { BaseUrl = server.BaseAddress.ToString().TrimEnd('/') };
        var client = new CharWebApiClient(adapter);
        var timeout = CharWebServer.Timeout();

        var created = await client.Api.Chardevs.PostAsync(
            new ChardevDefinition { Id = "logged", Logfile = "logged.log", LogTimestamps = true, LogMaxBytes = 4096, LogMaxFiles = 2, Backend = new BackendOptions { TestdevBackendOptions = new TestdevBackendOptions() } },
            cancellationToken: timeout);
        for (var i = 0; i < 50; i++)
        {
            await client.Api.Chardevs["logged"].Write.PostAsync(new WriteRequest { Data = $"line {i}: {new string('.', 80)}\r\n", Format = DataFormat.Utf8 }, cancellationToken: timeout);
        }

        var logs = await client.Api.Chardevs["logged"].Logs.GetAsync(cancellationToken: timeout);
        var rotated = logs!.First(l => l.Current == false);
        await using var part = (await client.Api.Chardevs["logged"].Logs[rotated.Name].GetAsync(r => r.Headers.Add("Range", "bytes=0-26"), cancellationToken: timeout))!;
        using var reader = new StreamReader(part);

        Assert.True(created!.LogTimestamps);
        Assert.Equal(4096, created.LogMaxBytes);
        Assert.Equal(("logged.log", true), (logs![0].Name, logs[0].Current));
        Assert.Matches(@"^logged\.log-[0-9]{8}-[0-9]{6}$", rotated.Name);
        Assert.Matches(@"^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z\] $", await reader.ReadToEndAsync(timeout));
    }

    [Fact]
    public async Task TypedClientSurfacesProblemDetails()
    {
        await using var server = await CharWebServer.StartAsync();
        using var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: server.Http) { BaseUrl = server.BaseAddress.ToString().TrimEnd('/') };
        var client = new CharWebApiClient(adapter);

        var error = await Assert.ThrowsAsync<ProblemDetails>(() => client.Api.Chardevs.PostAsync(
            new ChardevDefinition { Id = "bad", Backend = new BackendOptions { RingbufBackendOptions = new RingbufBackendOptions { Size = 3 } } },
            cancellationToken: CharWebServer.Timeout()));

        Assert.Equal(400, error.Status);
        Assert.Equal("urn:charweb:problem:invalid-request", error.Type);
        Assert.Contains("backend.size", error.Detail);
    }

    [Fact]
    public async Task TypedClientSpeaksQmpInPlainJson()
    {
        await using var server = await CharWebServer.StartAsync();
        using var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: server.Http) { BaseUrl = server.BaseAddress.ToString().TrimEnd('/') };
        var client = new CharWebApiClient(adapter);
        var timeout = CharWebServer.Timeout();
        await server.CreateAsync("""{"id": "qmp-typed", "backend": {"type": "ringbuf"}}""");

        var query = await client.Api.Qmp.PostAsync(new QmpCommand { Execute = QmpCommand_execute.QueryChardev }, cancellationToken: timeout);
        var failed = await client.Api.Qmp.PostAsync(
            new QmpCommand
            {
                Execute = QmpCommand_execute.RingbufRead,
                Arguments = new QmpCommand_arguments { AdditionalData = { ["device"] = "nope", ["size"] = 1 } },
                Id = new UntypedString("k1"),
            },
            cancellationToken: timeout);

        var labels = ((UntypedArray)query!.Return!).GetValue().Select(c => ((UntypedString)((UntypedObject)c).GetValue()["label"]).GetValue());
        Assert.Contains("qmp-typed", labels);
        Assert.Null(query.Error);
        Assert.Equal(("DeviceNotFound", "Device 'nope' not found"), (failed!.Error!.Class, failed.Error.Desc));
        Assert.Equal("k1", ((UntypedString)failed.Id!).GetValue());
        Assert.Null(failed.Return);
    }

    [Fact]
    public async Task CommittedClientIsWhatKiotaGeneratesFromTheLiveDocument()
    {
        await using var server = await CharWebServer.StartAsync();
        var work = Directory.CreateTempSubdirectory("charweb-kiota-").FullName;
        var document = Path.Combine(work, "openapi.json");
        await File.WriteAllTextAsync(document, await server.Http.GetStringAsync("/swagger/v1/swagger.json", CharWebServer.Timeout()), CharWebServer.Timeout());
        var output = Path.Combine(work, "Generated");

        await RunKiotaAsync(document, output);

        var committed = Path.Combine(CharWebServer.RepoRoot(), "clients", "CharWeb.Client", "Generated");
        var expected = SourceFiles(output);
        var actual = SourceFiles(committed);
        Assert.True(expected.Count > 10, $"kiota wrote only {expected.Count} files");
        var differing = expected.Keys.Union(actual.Keys)
            .Where(k => !expected.TryGetValue(k, out var e) || !actual.TryGetValue(k, out var a) || e != a)
            .ToList();
        Assert.True(differing.Count == 0, $"clients/CharWeb.Client/Generated differs from the live document in: {string.Join(", ", differing)}. Run scripts/generate-client.sh and commit.");
    }

    private static Dictionary<string, string> SourceFiles(string root) =>
        Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), f => File.ReadAllText(f).ReplaceLineEndings("\n"));

    private static async Task RunKiotaAsync(string document, string output)
    {
        await RunDotnetAsync(["tool", "restore"]);
        await RunDotnetAsync(["kiota", "generate", "-d", document, "-l", "CSharp", "-c", "CharWebApiClient", "-n", "CharWeb.Client", "-o", output, "--clean-output", "--exclude-backward-compatible", "--log-level", "Warning"]);
    }

    private static async Task RunDotnetAsync(string[] args)
    {
        var environment = new Dictionary<string, string> { ["KIOTA_OFFLINE_ENABLED"] = "true", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
        var (code, output) = await Reliability.PublishedServer.RunAsync("dotnet", args, CharWebServer.RepoRoot(), 120, environment);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} failed ({code}): {output}");
    }

    /// <summary>An API key as Kiota's bearer token (Kiota's own API-key provider insists on https; this server is plain http on loopback).</summary>
    private sealed class StaticKey(string key) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new();

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(key);
    }
}
