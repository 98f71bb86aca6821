using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests.Hubs;

/// <summary>Measures this process's managed heap, so it runs alone: no other test allocates meanwhile.</summary>
[CollectionDefinition(nameof(ManagedMemory), DisableParallelization = true)]
public sealed class ManagedMemory;

/// <summary>The spice rule: output with no console attached is counted and discarded, never queued.</summary>
[Collection(nameof(ManagedMemory))]
public sealed class UnwatchedOutputTests
{
    [Fact]
    public async Task HundredMegabytesWithNoConsoleAreDroppedAndCountedWithoutGrowingMemory()
    {
        const int Piece = 1 << 20;
        const int Writes = 100;
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "warm", "backend": {"type": "testdev"}}""");
        await server.CreateAsync("""{"id": "sink", "backend": {"type": "testdev"}}""");
        var body = $$"""{"data": "{{Convert.ToBase64String(ConsoleFanoutTests.RandomBytes(Piece, seed: 3))}}", "format": "base64"}""";
        // One write first, so Kestrel's, JSON's and the client's pools are warm before measuring.
        await WriteAsync(server, "warm", body, Piece);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Writes; i++)
        {
            await WriteAsync(server, "sink", body, Piece);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);

        var stats = (await server.GetAsync("sink"))["stats"]!;
        Assert.Equal(104857600L, stats["outputBytes"]!.GetValue<long>());
        Assert.Equal(104857600L, stats["outputDropped"]!.GetValue<long>());
        Assert.Equal(104857600L, stats["inputBytes"]!.GetValue<long>());
        Assert.Equal(0, stats["inputDropped"]!.GetValue<long>());
        var growth = after - before;
        ConsoleFanoutTests.Report($"managed memory before {before}, after {after}, growth {growth} bytes over {Writes} x {Piece} bytes");
        Assert.True(growth < 32 << 20, $"managed memory grew by {growth} bytes while 100 MB went to no console");
    }

    private static async Task WriteAsync(CharWebServer server, string id, string body, int expected)
    {
        using var response = await server.PostJsonAsync($"/api/chardevs/{id}/write", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, (await response.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["accepted"]!.GetValue<int>());
    }
}
