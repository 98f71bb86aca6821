using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace CharWeb.Api.Tests;

/// <summary>A real CharWeb on real Kestrel, on a free loopback port, with its own data folder.</summary>
public sealed class CharWebServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CharWebServer(WebApplication app, string dataDir)
    {
        _app = app;
        DataDir = dataDir;
        BaseAddress = new Uri(app.Urls.First());
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public string DataDir { get; }

    /// <summary>The running app's services (its endpoint list, its stores).</summary>
    public IServiceProvider Services => _app.Services;

    public static CancellationToken Timeout(int seconds = 30) =>
        CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token).Token;

    /// <summary>Starts a server; <paramref name="contentRoot"/> defaults to an empty folder, so no appsettings.json applies.</summary>
    public static async Task<CharWebServer> StartAsync(
        string? dataDir = null, IDictionary<string, string?>? settings = null, string? contentRoot = null, int port = 0, Action<WebApplicationBuilder>? configure = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("charweb-api-").FullName;
        contentRoot ??= Directory.CreateTempSubdirectory("charweb-root-").FullName;
        var app = CharWebApp.Create(
            [$"--urls=http://127.0.0.1:{port}", $"--contentRoot={contentRoot}", $"--CharWeb:DataDir={dataDir}"],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
                configure?.Invoke(builder);
            });
        await app.StartAsync(Timeout());
        return new CharWebServer(app, dataDir);
    }

    /// <summary>A loopback TCP port free right now (for servers that must come back on the same port).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CharWeb.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("CharWeb.sln not found above " + AppContext.BaseDirectory);
    }

    public async Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        await Http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Timeout());

    public async Task<JsonObject> CreateAsync(string json)
    {
        using var response = await PostJsonAsync("/api/chardevs", json);
        var body = await response.Content.ReadAsStringAsync(Timeout());
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"create answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async Task<JsonArray> ListAsync() =>
        (await Http.GetFromJsonAsync<JsonArray>("/api/chardevs", Timeout()))!;

    public async Task<JsonObject> GetAsync(string id) =>
        (await Http.GetFromJsonAsync<JsonObject>($"/api/chardevs/{id}", Timeout()))!;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(Timeout());
        await _app.DisposeAsync();
    }
}

/// <summary>Reads a problem details answer.</summary>
public sealed record Problem(string Type, string Title, int Status, string Detail, Dictionary<string, string[]> Errors)
{
    public static async Task<Problem> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<Problem>(new JsonSerializerOptions(JsonSerializerDefaults.Web), CharWebServer.Timeout());
        return problem!;
    }
}
