using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CharWeb.Api.Access;

namespace CharWeb.Api.Tests.Access;

/// <summary>API keys made, used, refused and revoked over REST, as an admin scripting a lab would.</summary>
public sealed class ApiKeyTests
{
    [Fact]
    public async Task KeyMadeOverTheApiIsShownOnceAndWorksAtOnce()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);

        var created = await CreateKeyAsync(admin, "ci-bot", "operator");
        var key = created["key"]!.GetValue<string>();
        Assert.Equal("ci-bot", created["name"]!.GetValue<string>());
        Assert.Equal("operator", created["role"]!.GetValue<string>());
        Assert.StartsWith("cwk_", key);
        Assert.True(key.Length >= 40, $"a key of {key.Length} characters is too short to be a secret: {key}");
        Assert.True(created["createdAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(-5), created.ToJsonString());

        var list = await admin.GetStringAsync("/api/keys", CharWebServer.Timeout());
        Assert.Contains("\"ci-bot\"", list);
        Assert.DoesNotContain(key, list);
        Assert.DoesNotContain(ApiKeyStore.Hash(key), list, StringComparison.OrdinalIgnoreCase);
        var listed = JsonNode.Parse(list)!.AsArray().Single(k => k!["name"]!.GetValue<string>() == "ci-bot")!;
        Assert.Equal("operator", listed["role"]!.GetValue<string>());

        using var bot = TestKeys.Client(server, key);
        var me = await MeAsync(bot);
        Assert.Equal(("ci-bot", "operator", "apikey"), (me["name"]!.GetValue<string>(), me["role"]!.GetValue<string>(), me["via"]!.GetValue<string>()));

        // It has the role it was made with, not more.
        using var create = await bot.PostAsync("/api/chardevs", Json("""{"id": "by-bot", "backend": {"type": "null"}}"""), CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
    }

    [Fact]
    public async Task RevokedKeyIsRefusedAtOnceAsAnInvalidToken()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var key = (await CreateKeyAsync(admin, "short-lived", "viewer"))["key"]!.GetValue<string>();
        using var holder = TestKeys.Client(server, key);
        Assert.Equal("short-lived", (await MeAsync(holder))["name"]!.GetValue<string>());

        using var revoke = await admin.DeleteAsync("/api/keys/short-lived", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        using var refused = await holder.GetAsync("/api/me", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString());
        Assert.Equal("urn:charweb:problem:unauthenticated", (await Problem.ReadAsync(refused)).Type);
        Assert.DoesNotContain("\"short-lived\"", await admin.GetStringAsync("/api/keys", CharWebServer.Timeout()));
    }

    public static TheoryData<string, string> BadKeyRequests => new()
    {
        { """{"role": "viewer"}""", "name" },
        { """{"name": "", "role": "viewer"}""", "name" },
        { """{"name": "   ", "role": "viewer"}""", "name" },
        { """{"name": "1abc", "role": "viewer"}""", "name" },
        { $$"""{"name": "{{new string('a', 65)}}", "role": "viewer"}""", "name" },
        { """{"name": "a b", "role": "viewer"}""", "name" },
        { """{"name": "fine", "role": "root"}""", "role" },
        { """{"name": "fine"}""", "role" },
        { """{"name": "fine", "role": "Admin2"}""", "role" },
        { """{"name": "fine", "role": "3"}""", "role" },
    };

    [Theory]
    [MemberData(nameof(BadKeyRequests))]
    public async Task BadKeyRequestIsRefusedNamingTheFieldAndChangesNothing(string body, string field)
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var before = await admin.GetStringAsync("/api/keys", CharWebServer.Timeout());

        using var response = await admin.PostAsync("/api/keys", Json(body), CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Problem.ReadAsync(response);
        Assert.Equal([field], problem.Errors.Keys);
        Assert.Equal(before, await admin.GetStringAsync("/api/keys", CharWebServer.Timeout()));
    }

    [Fact]
    public async Task NameOfSixtyFourCharactersIsTheLongestAccepted()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var name = "k" + new string('9', 63);

        var created = await CreateKeyAsync(admin, name, "viewer");

        Assert.Equal(name, created["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task KeyNameTakenByAnotherKeyIsAConflict()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var first = (await CreateKeyAsync(admin, "dup", "viewer"))["key"]!.GetValue<string>();
        var before = await admin.GetStringAsync("/api/keys", CharWebServer.Timeout());

        using var again = await admin.PostAsync("/api/keys", Json("""{"name": "dup", "role": "admin"}"""), CharWebServer.Timeout());
        using var declared = await admin.PostAsync("/api/keys", Json("""{"name": "viewer-key", "role": "admin"}"""), CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, declared.StatusCode);
        Assert.Equal(before, await admin.GetStringAsync("/api/keys", CharWebServer.Timeout()));
        using var holder = TestKeys.Client(server, first);
        Assert.Equal("viewer", (await MeAsync(holder))["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeclaredKeyCannotBeRevokedOverTheApiAndKeepsWorking()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);

        using var response = await admin.DeleteAsync("/api/keys/viewer-key", CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("name", (await Problem.ReadAsync(response)).Errors.Keys);
        using var viewer = TestKeys.Client(server, TestKeys.Viewer);
        Assert.Equal("viewer-key", (await MeAsync(viewer))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task OperatorMayNotMakeKeys()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        using var operatorClient = TestKeys.Client(server, TestKeys.Operator);
        var before = await admin.GetStringAsync("/api/keys", CharWebServer.Timeout());

        using var response = await operatorClient.PostAsync("/api/keys", Json("""{"name": "sneaky", "role": "admin"}"""), CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(CharWebServer.Timeout()))!;
        Assert.Equal("urn:charweb:problem:forbidden", problem["type"]!.GetValue<string>());
        Assert.Equal("admin", problem["requiredRole"]!.GetValue<string>());
        Assert.Equal(before, await admin.GetStringAsync("/api/keys", CharWebServer.Timeout()));
    }

    [Fact]
    public async Task KeysMadeAndRevokedOverTheApiStaySoAfterARestart()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-keys-").FullName;
        string kept;
        string revoked;
        await using (var first = await CharWebServer.StartAsync(dataDir: dataDir, settings: TestKeys.Settings()))
        {
            using var admin = TestKeys.Client(first, TestKeys.Admin);
            kept = (await CreateKeyAsync(admin, "kept", "operator"))["key"]!.GetValue<string>();
            revoked = (await CreateKeyAsync(admin, "revoked", "admin"))["key"]!.GetValue<string>();
            using var revoke = await admin.DeleteAsync("/api/keys/revoked", CharWebServer.Timeout());
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        await using var second = await CharWebServer.StartAsync(dataDir: dataDir, settings: TestKeys.Settings());
        using var keptClient = TestKeys.Client(second, kept);
        var me = await MeAsync(keptClient);
        Assert.Equal(("kept", "operator", "apikey"), (me["name"]!.GetValue<string>(), me["role"]!.GetValue<string>(), me["via"]!.GetValue<string>()));

        using var revokedClient = TestKeys.Client(second, revoked);
        using var refused = await revokedClient.GetAsync("/api/me", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var admin2 = TestKeys.Client(second, TestKeys.Admin);
        var names = JsonNode.Parse(await admin2.GetStringAsync("/api/keys", CharWebServer.Timeout()))!.AsArray().Select(k => k!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("kept", names);
        Assert.DoesNotContain("revoked", names);
    }

    public static TheoryData<string, string> MalformedAuthorization => new()
    {
        { "scheme alone", "Bearer" },
        { "blank token", "Bearer    " },
        { "basic", "Basic dXNlcjpwYXNz" },
        { "600 characters", "Bearer " + new string('k', 600) },
        { "a JWT without OIDC", "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJl" },
    };

    [Theory]
    [MemberData(nameof(MalformedAuthorization))]
    public async Task MalformedAuthorizationHeaderIsUnauthenticated(string what, string header) =>
        await AssertUnauthenticatedAsync(what, header, anonymousLoopback: false);

    /// <summary>A header sent is credentials to check, not "none": a script whose $KEY is unset must not become the loopback admin.</summary>
    [Theory]
    [MemberData(nameof(MalformedAuthorization))]
    public async Task MalformedAuthorizationHeaderIsUnauthenticatedFromLoopbackToo(string what, string header) =>
        await AssertUnauthenticatedAsync(what, header, anonymousLoopback: true);

    private static async Task AssertUnauthenticatedAsync(string what, string header, bool anonymousLoopback)
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings(anonymousLoopback));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", header), what);

        using var response = await server.Http.SendAsync(request, CharWebServer.Timeout());

        var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"Authorization: {what} answered {(int)response.StatusCode}: {body}");
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("urn:charweb:problem:unauthenticated", (await Problem.ReadAsync(response)).Type);
    }

    [Theory]
    [InlineData("access_token", false)]
    [InlineData("api_key", false)]
    [InlineData("apikey", false)]
    [InlineData("token", false)]
    [InlineData("key", false)]
    [InlineData("access_token", true)]
    [InlineData("api_key", true)]
    [InlineData("token", true)]
    public async Task ValidKeyInARestUrlIsRefusedAndNotLogged(string parameter, bool headerToo)
    {
        var log = Path.Combine(Directory.CreateTempSubdirectory("charweb-log-").FullName, "charweb.log");
        var server = await CharWebServer.StartAsync(settings: TestKeys.Settings(more: ShippedLogging(log)), contentRoot: ShippedLoggingRoot());
        await using (server)
        {
            using var client = TestKeys.Client(server, headerToo ? TestKeys.Admin : null);
            using var control = TestKeys.Client(server, TestKeys.Admin);
            using var valid = await control.GetAsync("/api/chardevs", CharWebServer.Timeout());
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);

            using var response = await client.GetAsync($"/api/chardevs?{parameter}={Uri.EscapeDataString(TestKeys.Admin)}", CharWebServer.Timeout());

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await Problem.ReadAsync(response);
            Assert.Equal("urn:charweb:problem:credentials-in-url", problem.Type);
            Assert.Equal([parameter], problem.Errors.Keys);
            Assert.DoesNotContain(TestKeys.Admin, problem.Detail);
        }

        var written = await ReadSharedAsync(log);
        Assert.Contains("HTTP GET /api/chardevs responded 400", written);
        Assert.DoesNotContain(TestKeys.Admin, written);
    }

    private static async Task<JsonObject> CreateKeyAsync(HttpClient admin, string name, string role)
    {
        using var response = await admin.PostAsJsonAsync("/api/keys", new { name, role }, CharWebServer.Timeout());
        var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /api/keys answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static async Task<JsonObject> MeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/me", CharWebServer.Timeout());
        var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /api/me answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>A content root whose appsettings.json carries the log levels CharWeb ships with.</summary>
    private static string ShippedLoggingRoot()
    {
        var shipped = JsonNode.Parse(File.ReadAllText(Path.Combine(CharWebServer.RepoRoot(), "src", "Api", "appsettings.json")))!;
        var root = Directory.CreateTempSubdirectory("charweb-root-").FullName;
        var settings = new JsonObject { ["Serilog"] = new JsonObject { ["MinimumLevel"] = shipped["Serilog"]!["MinimumLevel"]!.DeepClone() } };
        File.WriteAllText(Path.Combine(root, "appsettings.json"), settings.ToJsonString());
        return root;
    }

    private static Dictionary<string, string?> ShippedLogging(string path) => new()
    {
        ["Serilog:WriteTo:0:Name"] = "File",
        ["Serilog:WriteTo:0:Args:path"] = path,
    };

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(CharWebServer.Timeout());
    }
}
