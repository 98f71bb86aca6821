using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Access;

namespace CharWeb.Api.Tests.Clients;

/// <summary>
/// A TypeScript client made the way a TypeScript user makes one: openapi-typescript generates types from
/// the live document, tsc type-checks clients/typescript/src/roundtrip.ts against them (strict, so a field
/// the document leaves optional would not compile), and the compiled round trip runs against the server
/// through openapi-fetch with an API key.
/// </summary>
[Collection(nameof(ExternalTools))]
public sealed class TypeScriptClientTests
{
    [Fact]
    public async Task GeneratedTypeScriptClientCreatesWritesReadsSpeaksQmpAndRemoves()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());

        var generated = await TypeScriptClient.RunAsync(server, "generate");
        await TypeScriptClient.RunAsync(server, "build");
        var output = await TypeScriptClient.RunAsync(server, "roundtrip", TestKeys.Admin, "ts-trip");

        Assert.Contains("generated/charweb.d.ts", generated);
        Assert.Equal(
            [
                "created ts-trip ringbuf open connected=true consoles=0 bytes=0 since=true size=64",
                "wrote accepted=15",
                """read "from" " typescript" "" """.TrimEnd(),
                "qmp query-chardev lists=true id=7",
                """qmp ringbuf-read "qmp" """.TrimEnd(),
                "qmp error class=DeviceNotFound",
                "socket listening unix:ts-trip.sock",
                "problem 404 urn:charweb:problem:not-found fields=id trace=true",
                "removed listed=false",
                "roundtrip passed",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var left = await admin.GetFromJsonAsync<JsonArray>("/api/chardevs", CharWebServer.Timeout());
        Assert.DoesNotContain(left!, c => c!["id"]!.GetValue<string>().StartsWith("ts-trip", StringComparison.Ordinal));
    }
}
