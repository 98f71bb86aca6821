using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Engine;

namespace CharWeb.Api.Tests.OpenApi;

/// <summary><c>GET /api/backends</c> and the OpenAPI document say the same of every backend kind.</summary>
public sealed class BackendListingTests
{
    [Fact]
    public async Task EveryKindsOptionsInTheListingAreWhatTheDocumentSays()
    {
        await using var server = await CharWebServer.StartAsync();
        var document = await LiveDocument.FetchAsync(server);
        var listed = (await server.Http.GetFromJsonAsync<JsonArray>("/api/backends", CharWebServer.Timeout()))!;
        var mapping = document.Schema("BackendOptions")["discriminator"]!["mapping"]!.AsObject();

        Assert.Equal(BackendRegistry.CreateDefault().Kinds.Select(k => k.Name), listed.Select(k => k!["name"]!.GetValue<string>()));
        Assert.Equal(mapping.Select(m => m.Key).Order(StringComparer.Ordinal), listed.Select(k => k!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        foreach (var kind in listed.Select(k => k!.AsObject()))
        {
            var name = kind["name"]!.GetValue<string>();
            var schema = document.Schema(LiveDocument.Name(mapping[name]!));
            var properties = schema["properties"]!.AsObject().Where(p => p.Key != "type").ToList();
            var required = LiveDocument.Names(schema["required"]);
            var options = kind["options"]!.AsArray().Select(o => o!.AsObject()).ToList();

            Assert.Equal(properties.Select(p => p.Key), options.Select(o => o["name"]!.GetValue<string>()));
            foreach (var (key, property) in properties)
            {
                var option = options.Single(o => o["name"]!.GetValue<string>() == key);
                var target = document.Target(property!);
                var where = $"{name}.{key}";
                Assert.True(required.Contains(key) == option["required"]!.GetValue<bool>(), $"{where}: required differs");
                Assert.True(TypeOf(target) == option["type"]!.GetValue<string>(), $"{where}: {TypeOf(target)} in the document, {option["type"]} listed");
                Assert.True(JsonNode.DeepEquals(property!["default"], option["default"]), $"{where}: default {property["default"]} in the document, {option["default"]} listed");
                Assert.True(JsonNode.DeepEquals(target["enum"], option["enum"]), $"{where}: enum differs");
                Assert.True(JsonNode.DeepEquals(target["items"]?["type"], option["items"]), $"{where}: items differ");
                Assert.True(LiveDocument.ReferenceOf(property) == option["schema"]?.GetValue<string>(), $"{where}: schema differs");
            }
        }
    }

    [Fact]
    public async Task RequiredOptionsAreRequiredAndTypesAreJsonTypes()
    {
        await using var server = await CharWebServer.StartAsync();

        var listed = (await server.Http.GetFromJsonAsync<JsonArray>("/api/backends", CharWebServer.Timeout()))!;

        var options = listed.SelectMany(k => k!["options"]!.AsArray().Select(o => (Kind: k["name"]!.GetValue<string>(), Option: o!.AsObject()))).ToList();
        JsonObject Option(string kind, string name) => options.Single(o => o.Kind == kind && o.Option["name"]!.GetValue<string>() == name).Option;
        Assert.All(new[] { ("socket", "addr"), ("udp", "remote"), ("mux", "chardevs"), ("hub", "chardevs"), ("file", "path"), ("exec", "command") },
            o => Assert.True(Option(o.Item1, o.Item2)["required"]!.GetValue<bool>(), $"{o.Item1}.{o.Item2} is required"));
        Assert.False(Option("parallel", "path")["required"]!.GetValue<bool>());
        Assert.Equal("/dev/parport0", Option("parallel", "path")["default"]!.GetValue<string>());
        Assert.All(options, o => Assert.Contains(o.Option["type"]!.GetValue<string>(), new[] { "string", "integer", "boolean", "array", "object" }));
        Assert.Equal(("array", "string"), (Option("mux", "chardevs")["type"]!.GetValue<string>(), Option("mux", "chardevs")["items"]!.GetValue<string>()));
        Assert.Equal(("object", "SocketAddress"), (Option("socket", "addr")["type"]!.GetValue<string>(), Option("socket", "addr")["schema"]!.GetValue<string>()));
        Assert.Equal(["none", "even", "odd"], Option("serial", "parity")["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    private static string TypeOf(JsonObject schema) =>
        schema["type"]?.GetValue<string>() ?? (schema["oneOf"] is not null ? "object" : throw new InvalidOperationException("no type: " + schema.ToJsonString()));
}
