using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Tests;

/// <summary>CharWeb:Network:AllowedDestinations through the API: refusals as problem details, bad entries at start.</summary>
public sealed class DestinationTests
{
    private static readonly Dictionary<string, string?> OnlyLocalhostOne = new() { ["CharWeb:Network:AllowedDestinations:0"] = "127.0.0.1/32" };

    [Fact]
    public async Task ClientOutsideTheAllowListIs400OnBackendAddrAndNothingIsMadeOrStored()
    {
        using var elsewhere = new TcpListener(IPAddress.Parse("127.0.0.2"), 0);
        elsewhere.Start();
        var port = ((IPEndPoint)elsewhere.LocalEndpoint).Port;
        await using var server = await CharWebServer.StartAsync(settings: OnlyLocalhostOne);
        await server.CreateAsync("""{"id": "kept", "backend": {"type": "ringbuf", "size": 64}}""");
        var client = $$"""{"type": "socket", "addr": {"type": "inet", "host": "127.0.0.2", "port": {{port}}}, "reconnectMs": 100}""";

        using var created = await server.PostJsonAsync("/api/chardevs", $$"""{"id": "out", "backend": {{client}}}""");
        var problem = await Problem.ReadAsync(created);
        using var changed = await server.Http.PutAsync("/api/chardevs/kept/backend", new StringContent(client, System.Text.Encoding.UTF8, "application/json"), CharWebServer.Timeout());
        var changeProblem = await Problem.ReadAsync(changed);

        Assert.Equal(400, problem.Status);
        Assert.Equal("urn:charweb:problem:invalid-request", problem.Type);
        Assert.Equal([$"127.0.0.2:{port} is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.1/32)"], problem.Errors["backend.addr"]);
        Assert.Equal(400, changeProblem.Status);
        Assert.Contains($"127.0.0.2:{port} is not an allowed destination", Assert.Single(changeProblem.Errors["addr"]));
        Assert.Equal(["kept"], (await server.ListAsync()).Select(c => c!["id"]!.GetValue<string>()));
        Assert.Equal("ringbuf", (await server.GetAsync("kept"))["backend"]!["type"]!.GetValue<string>());
        Assert.Equal(["kept"], await StoredIdsAsync(server));
        Assert.False(elsewhere.Pending());
    }

    [Fact]
    public async Task BadEntriesFailTheStartNamingEachIndex()
    {
        var contentRoot = Directory.CreateTempSubdirectory("charweb-root-").FullName;
        var dataDir = Directory.CreateTempSubdirectory("charweb-api-").FullName;
        await using var app = CharWebApp.Create(
            ["--urls=http://127.0.0.1:0", $"--contentRoot={contentRoot}", $"--CharWeb:DataDir={dataDir}"],
            builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["CharWeb:Network:AllowedDestinations:0"] = "127.0.0.1/32",
                ["CharWeb:Network:AllowedDestinations:1"] = "10.1.0.0/8",
                ["CharWeb:Network:AllowedDestinations:2"] = "lab.example:0",
            }));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(CharWebServer.Timeout()));

        Assert.Equal(
            [
                "CharWeb:Network:AllowedDestinations:1: '10.1.0.0/8' has bits set past its /8 prefix; write 10.0.0.0/8 or a longer prefix",
                "CharWeb:Network:AllowedDestinations:2: 'lab.example:0' has a bad port '0': a port or first-last, between 1 and 65535",
            ],
            error.Failures);
    }

    private static async Task<List<string>> StoredIdsAsync(CharWebServer server)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "charweb.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(CharWebServer.Timeout());
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM chardevs ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(CharWebServer.Timeout());
        var ids = new List<string>();
        while (await reader.ReadAsync(CharWebServer.Timeout()))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
