using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Engine;

namespace CharWeb.Api.Tests;

public sealed class OpenApiTests
{
    [Fact]
    public async Task BackendUnionIsAOneOfWithATypeDiscriminatorAndMappingForEveryRegisteredKind()
    {
        await using var server = await CharWebServer.StartAsync();

        var document = (await server.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json", CharWebServer.Timeout()))!;
        var schemas = document["components"]!["schemas"]!;
        var union = schemas["BackendOptions"]!;
        var kinds = BackendRegistry.CreateDefault().Kinds;

        Assert.Equal("type", union["discriminator"]!["propertyName"]!.GetValue<string>());
        var mapping = union["discriminator"]!["mapping"]!.AsObject();
        Assert.Equal(kinds.Select(k => k.Name).Order(), mapping.Select(m => m.Key).Order());
        Assert.Equal(kinds.Count, union["oneOf"]!.AsArray().Count);
        foreach (var kind in kinds)
        {
            var member = schemas[mapping[kind.Name]!.GetValue<string>().Split('/')[^1]]!;
            Assert.Contains("type", member["required"]!.AsArray().Select(r => r!.GetValue<string>()));
            Assert.Equal(kind.Name, member["properties"]!["type"]!["enum"]![0]!.GetValue<string>());
        }

        var size = schemas["RingbufBackendOptions"]!["properties"]!["size"]!;
        Assert.Equal(65536, size["default"]!.GetValue<int>());
        Assert.Equal(1, size["minimum"]!.GetValue<int>());
        Assert.Contains("path", schemas["FileBackendOptions"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("#/components/schemas/BackendOptions", schemas["ChardevDefinition"]!["properties"]!["backend"]!["$ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task SocketOptionsDescribeWebsocketAsABooleanDefaultFalse()
    {
        await using var server = await CharWebServer.StartAsync();

        var document = (await server.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json", CharWebServer.Timeout()))!;

        var websocket = document["components"]!["schemas"]!["SocketBackendOptions"]!["properties"]!["websocket"]!.AsObject();
        Assert.Equal(["default", "description", "type"], websocket.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("boolean", websocket["type"]!.GetValue<string>());
        Assert.False(websocket["default"]!.GetValue<bool>());
        Assert.Equal(
            "Server only, not with telnet: the peer speaks WebSocket (RFC 6455, QEMU `websocket=on`): an HTTP/1.1 upgrade on `GET /`, then binary frames both ways.",
            websocket["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task LogRoutesDocumentTheirTextBodiesRangesListingAndTheLogOptions()
    {
        await using var server = await CharWebServer.StartAsync();

        var document = (await server.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json", CharWebServer.Timeout()))!;

        foreach (var path in new[] { "/api/chardevs/{id}/log", "/api/chardevs/{id}/logs/{name}" })
        {
            var responses = document["paths"]![path]!["get"]!["responses"]!;
            foreach (var status in new[] { "200", "206" })
            {
                var body = responses[status]!["content"]!.AsObject();
                Assert.Equal(["text/plain"], body.Select(c => c.Key));
                Assert.Equal("string", body["text/plain"]!["schema"]!["type"]!.GetValue<string>());
                Assert.Equal("binary", body["text/plain"]!["schema"]!["format"]!.GetValue<string>());
            }

            Assert.Equal("#/components/schemas/ProblemDetails", responses["416"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>());
        }

        Assert.NotNull(document["paths"]!["/api/chardevs/{id}/logs/{name}"]!["get"]!["responses"]!["400"]);
        var list = document["paths"]!["/api/chardevs/{id}/logs"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        Assert.Equal("array", list["type"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/LogFileInfo", list["items"]!["$ref"]!.GetValue<string>());
        var schemas = document["components"]!["schemas"]!;
        var info = schemas["LogFileInfo"]!;
        Assert.Equal(["bytes", "current", "from", "name", "to"], info["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.True(info["properties"]!["from"]!["nullable"]!.GetValue<bool>());
        Assert.Equal("date-time", info["properties"]!["to"]!["format"]!.GetValue<string>());

        var definition = schemas["ChardevDefinition"]!["properties"]!;
        Assert.Equal(4096, definition["logMaxBytes"]!["minimum"]!.GetValue<long>());
        Assert.Equal(1L << 40, definition["logMaxBytes"]!["maximum"]!.GetValue<long>());
        Assert.Equal(1, definition["logMaxFiles"]!["minimum"]!.GetValue<int>());
        Assert.Equal(1000, definition["logMaxFiles"]!["maximum"]!.GetValue<int>());
        foreach (var flag in new[] { "logTimestamps", "logEvents" })
        {
            Assert.Equal("boolean", definition[flag]!["type"]!.GetValue<string>());
            Assert.False(definition[flag]!["default"]!.GetValue<bool>());
        }

        var response = schemas["ChardevResponse"]!["properties"]!.AsObject();
        Assert.All(new[] { "logTimestamps", "logEvents", "logMaxBytes", "logMaxFiles" }, name => Assert.True(response.ContainsKey(name), name));
    }

    [Fact]
    public async Task SwaggerUiIsServed()
    {
        await using var server = await CharWebServer.StartAsync();

        var html = await server.Http.GetStringAsync("/swagger/index.html", CharWebServer.Timeout());

        Assert.Contains("swagger-ui", html);
    }
}
