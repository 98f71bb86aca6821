using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests.OpenApi;

/// <summary>What the document says the server answers is what a live server answers, field by field.</summary>
public sealed class ResponseSchemaTests
{
    [Fact]
    public async Task EveryFieldTheServerAlwaysSendsIsRequiredAndIsSent()
    {
        await using var server = await CharWebServer.StartAsync();
        var document = await LiveDocument.FetchAsync(server);

        var created = await server.CreateAsync("""{"id": "whole", "backend": {"type": "ringbuf", "size": 64}}""");
        using var written = await server.PostJsonAsync("/api/chardevs/whole/write", """{"data": "hi"}""");
        var write = JsonNode.Parse(await written.Content.ReadAsStringAsync(CharWebServer.Timeout()));
        var read = await server.Http.GetFromJsonAsync<JsonObject>("/api/chardevs/whole/read?size=64", CharWebServer.Timeout());
        var empty = await server.Http.GetFromJsonAsync<JsonObject>("/api/chardevs/whole/read?size=64", CharWebServer.Timeout());
        var health = await server.Http.GetFromJsonAsync<JsonObject>("/healthz", CharWebServer.Timeout());
        var me = await server.Http.GetFromJsonAsync<JsonObject>("/api/me", CharWebServer.Timeout());
        var backends = await server.Http.GetFromJsonAsync<JsonArray>("/api/backends", CharWebServer.Timeout());

        Assert.Subset(LiveDocument.Names(document.Schema("ChardevResponse")["required"]), new HashSet<string> { "state", "connected", "consoles", "createdAt", "stats", "filename", "ptyPath" });
        document.AssertAnsweredWhole("ChardevResponse", created);
        document.AssertAnsweredWhole("ChardevStats", created["stats"]);
        document.AssertAnsweredWhole("WriteResponse", write);
        document.AssertAnsweredWhole("ReadResponse", read);
        document.AssertAnsweredWhole("ReadResponse", empty);
        document.AssertAnsweredWhole("HealthResponse", health);
        document.AssertAnsweredWhole("MeResponse", me);
        Assert.All(backends!, kind => document.AssertAnsweredWhole("BackendKindResponse", kind));
        Assert.All(backends!.SelectMany(k => k!["options"]!.AsArray()), option => document.AssertAnsweredWhole("BackendOptionResponse", option));
        Assert.Equal(("hi", ""), (read!["data"]!.GetValue<string>(), empty!["data"]!.GetValue<string>()));
        Assert.Null(document.Schema("ReadResponse")["properties"]!["data"]!["minLength"]);
        // Request schemas keep only what a caller must send.
        Assert.Equal(["backend", "id"], LiveDocument.Names(document.Schema("ChardevDefinition")["required"]).Order(StringComparer.Ordinal));
        Assert.Equal(["type"], LiveDocument.Names(document.Schema("RingbufBackendOptions")["required"]));
    }

    [Fact]
    public async Task ProblemDetailsAreDocumentedAsTheServerWritesThem()
    {
        await using var server = await CharWebServer.StartAsync();
        var document = await LiveDocument.FetchAsync(server);
        var schema = document.Schema("ProblemDetails");

        using var notFound = await server.Http.GetAsync("/api/chardevs/missing", CharWebServer.Timeout());
        using var invalid = await server.PostJsonAsync("/api/chardevs", """{"id": "bad", "backend": {"type": "ringbuf", "size": 3}}""");
        using var mediaType = await server.Http.PostAsync("/api/qmp", new StringContent("{}", Encoding.UTF8, "text/plain"), CharWebServer.Timeout());
        using var noRoute = await server.Http.GetAsync("/api/no-such-route", CharWebServer.Timeout());

        Assert.Equal(["detail", "errors", "status", "title", "traceId", "type"], LiveDocument.Names(schema["required"]).Order(StringComparer.Ordinal));
        Assert.Equal("array", schema["properties"]!["errors"]!["additionalProperties"]!["type"]!.GetValue<string>());
        Assert.Equal("string", schema["properties"]!["errors"]!["additionalProperties"]!["items"]!["type"]!.GetValue<string>());
        foreach (var (response, status) in new[] { (notFound, 404), (invalid, 400), (mediaType, 415), (noRoute, 404) })
        {
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(CharWebServer.Timeout()))!.AsObject();
            Assert.Subset(LiveDocument.Keys(schema["properties"]).ToHashSet(), LiveDocument.Keys(problem).ToHashSet());
            Assert.Superset(LiveDocument.Names(schema["required"]), LiveDocument.Keys(problem).ToHashSet());
            Assert.All(problem["errors"]!.AsObject(), e => Assert.All(e.Value!.AsArray(), m => Assert.False(string.IsNullOrEmpty(m!.GetValue<string>()))));
            Assert.StartsWith("urn:charweb:problem:", problem["type"]!.GetValue<string>());
        }

        var problems = document.Root["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()).SelectMany(o => o.Value!["responses"]!.AsObject())
            .Where(r => r.Key[0] is '4').Select(r => r.Value!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(problems);
        Assert.All(problems, r => Assert.Equal("#/components/schemas/ProblemDetails", r));
    }

    [Fact]
    public async Task QmpIsPlainJsonSchemaWithNoDotNetTypes()
    {
        await using var server = await CharWebServer.StartAsync();
        var document = await LiveDocument.FetchAsync(server);
        var text = document.Root.ToJsonString();
        var commands = await QmpAsync(server, """{"execute": "query-commands"}""");
        var failed = await QmpAsync(server, """{"execute": "ringbuf-read", "arguments": {"device": "nope", "size": 1}, "id": "x"}""");

        Assert.DoesNotContain("JsonNode", text);
        Assert.DoesNotContain("propertyNameCaseInsensitive", text);
        var command = document.Schema("QmpCommand");
        Assert.Equal(
            commands["return"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal),
            command["properties"]!["execute"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(["execute"], LiveDocument.Names(command["required"]));
        var arguments = command["properties"]!["arguments"]!;
        Assert.Equal(("object", true), (arguments["type"]!.GetValue<string>(), arguments["nullable"]!.GetValue<bool>()));
        Assert.Empty(arguments["additionalProperties"]!.AsObject());
        var answer = document.Schema("QmpResponse");
        Assert.Equal(["error", "id", "return"], LiveDocument.Keys(answer["properties"]));
        Assert.Null(answer["required"]);
        Assert.Equal(["class", "desc"], LiveDocument.Names(document.Schema("QmpError")["required"]).Order(StringComparer.Ordinal));
        var qmp = document.Operation("/api/qmp", "post");
        Assert.Equal("#/components/schemas/QmpCommand", qmp["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/QmpResponse", qmp["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Subset(LiveDocument.Keys(answer["properties"]).ToHashSet(), LiveDocument.Keys(commands).ToHashSet());
        Assert.Equal(["error", "id"], LiveDocument.Keys(failed));
        Assert.Equal(["class", "desc"], LiveDocument.Keys(failed["error"]));
    }

    [Fact]
    public async Task SocketAddressIsAnInetOrUnixUnionAndTheWireIsUnchanged()
    {
        await using var server = await CharWebServer.StartAsync();
        var document = await LiveDocument.FetchAsync(server);

        var inet = await server.CreateAsync("""{"id": "tcp", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true}}""");
        var unix = await server.CreateAsync("""{"id": "sock", "backend": {"type": "socket", "addr": {"type": "unix", "path": "sock.sock"}, "server": true}}""");

        var union = document.Schema("SocketAddress");
        Assert.Equal("type", union["discriminator"]!["propertyName"]!.GetValue<string>());
        Assert.Equal(["inet", "unix"], LiveDocument.Keys(union["discriminator"]!["mapping"]));
        Assert.Equal(["#/components/schemas/InetSocketAddress", "#/components/schemas/UnixSocketAddress"], union["oneOf"]!.AsArray().Select(m => m!["$ref"]!.GetValue<string>()));
        Assert.Equal("#/components/schemas/SocketAddress", document.Schema("SocketBackendOptions")["properties"]!["addr"]!["$ref"]!.GetValue<string>());
        Assert.Null(document.Schemas["SocketAddressOptions"]);
        foreach (var (member, answer, required) in new[] { ("InetSocketAddress", inet, new[] { "host", "port", "type" }), ("UnixSocketAddress", unix, ["path", "type"]) })
        {
            var schema = document.Schema(member);
            var addr = answer["backend"]!["addr"]!.AsObject();
            Assert.Equal(required, LiveDocument.Names(schema["required"]).Order(StringComparer.Ordinal));
            Assert.Equal(LiveDocument.Keys(schema["properties"]), LiveDocument.Keys(addr));
            Assert.Equal(schema["properties"]!["type"]!["enum"]![0]!.GetValue<string>(), addr["type"]!.GetValue<string>());
            Assert.False(schema["additionalProperties"]!.GetValue<bool>());
        }

        Assert.Null(unix["backend"]!["addr"]!["host"]);
        Assert.Equal("sock.sock", unix["backend"]!["addr"]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task FilesAndTheHealthFailureHaveTheirBodiesDocumented()
    {
        await using var server = await CharWebServer.StartAsync();
        var document = await LiveDocument.FetchAsync(server);

        using var history = await server.Http.GetAsync("/api/chardevs/missing/history", CharWebServer.Timeout());
        var created = await server.CreateAsync("""{"id": "hist", "history": 16, "backend": {"type": "testdev"}}""");
        using var file = await server.Http.GetAsync("/api/chardevs/hist/history", CharWebServer.Timeout());

        var historyBody = document.Operation("/api/chardevs/{id}/history", "get")["responses"]!["200"]!["content"]!.AsObject();
        var logBody = document.Operation("/api/chardevs/{id}/log", "get")["responses"]!["200"]!["content"]!.AsObject();
        Assert.Equal(["application/octet-stream"], LiveDocument.Keys(historyBody));
        Assert.Equal(["text/plain"], LiveDocument.Keys(logBody));
        Assert.All(new[] { historyBody["application/octet-stream"]!, logBody["text/plain"]! }, media =>
            Assert.Equal(("string", "binary"), (media["schema"]!["type"]!.GetValue<string>(), media["schema"]!["format"]!.GetValue<string>())));
        Assert.Equal("application/octet-stream", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, history.StatusCode);
        Assert.Equal("hist", created["id"]!.GetValue<string>());
        var health = document.Operation("/healthz", "get")["responses"]!.AsObject();
        Assert.Equal(["200", "503"], LiveDocument.Keys(health));
        Assert.All(health, r => Assert.Equal("#/components/schemas/HealthResponse", r.Value!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>()));
        Assert.Equal(["none", "even", "odd"], document.Schema("SerialBackendOptions")["properties"]!["parity"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    private static async Task<JsonObject> QmpAsync(CharWebServer server, string command)
    {
        using var response = await server.PostJsonAsync("/api/qmp", command);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(CharWebServer.Timeout()))!.AsObject();
    }
}
