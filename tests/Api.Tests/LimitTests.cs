using System.Net;
using System.Text.Json.Nodes;
using CharWeb.Api.Hubs;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Tests;

/// <summary>
/// <c>CharWeb:Limits</c> through real Kestrel: chardevs per server over REST and QMP (and across a restart),
/// consoles and list watchers per hub connection, consoles per chardev, and limits refused at start.
/// </summary>
public sealed class LimitTests
{
    private const string Limit = "urn:charweb:problem:limit";

    [Fact]
    public async Task ThirdChardevPastMaxChardevs2Is409LimitOnIdAndARestartStillHoldsOnlyTheTwo()
    {
        var settings = new Dictionary<string, string?> { ["CharWeb:Limits:MaxChardevs"] = "2" };
        var dataDir = Directory.CreateTempSubdirectory("charweb-api-").FullName;
        await using (var server = await CharWebServer.StartAsync(dataDir, settings))
        {
            await server.CreateAsync("""{"id": "one", "backend": {"type": "null"}}""");
            await server.CreateAsync("""{"id": "two", "backend": {"type": "ringbuf", "size": 64}}""");

            using var third = await server.PostJsonAsync("/api/chardevs", """{"id": "three", "backend": {"type": "null"}}""");
            var problem = await Problem.ReadAsync(third);
            var qmp = await QmpAsync(server, """{"execute": "chardev-add", "arguments": {"id": "three", "backend": {"type": "null", "data": {}}}}""");

            Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);
            Assert.Equal(409, problem.Status);
            Assert.EndsWith(":limit", problem.Type, StringComparison.Ordinal);
            Assert.Equal(Limit, problem.Type);
            Assert.Equal(["this server holds at most 2 chardevs (CharWeb:Limits:MaxChardevs)"], problem.Errors["id"]);
            Assert.Equal("this server holds at most 2 chardevs (CharWeb:Limits:MaxChardevs)", qmp["error"]?["desc"]?.GetValue<string>());
            Assert.Equal(["one", "two"], await IdsAsync(server));
            using var missing = await server.Http.GetAsync("/api/chardevs/three", CharWebServer.Timeout());
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        await using var restarted = await CharWebServer.StartAsync(dataDir, settings);

        Assert.Equal(["one", "two"], await IdsAsync(restarted));
        Assert.All(await restarted.ListAsync(), c => Assert.Equal("open", c!["state"]!.GetValue<string>()));
        using var again = await restarted.PostJsonAsync("/api/chardevs", """{"id": "three", "backend": {"type": "null"}}""");
        Assert.Equal(Limit, (await Problem.ReadAsync(again)).Type);

        // The limit counts what is held: removing one makes room for the third.
        using var removed = await restarted.Http.DeleteAsync("/api/chardevs/one", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        await restarted.CreateAsync("""{"id": "three", "backend": {"type": "null"}}""");
        Assert.Equal(["three", "two"], await IdsAsync(restarted));
    }

    [Fact]
    public async Task ChardevsStoredPastALoweredMaxChardevsComeBackFailedNamingTheLimitAndHoldingNoSlot()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-api-").FullName;
        await using (var server = await CharWebServer.StartAsync(dataDir))
        {
            await server.CreateAsync("""{"id": "one", "backend": {"type": "null"}}""");
            await server.CreateAsync("""{"id": "two", "backend": {"type": "null"}}""");
        }

        await using var lowered = await CharWebServer.StartAsync(dataDir, new Dictionary<string, string?> { ["CharWeb:Limits:MaxChardevs"] = "1" });

        var list = await lowered.ListAsync();
        Assert.Equal(["one", "two"], list.Select(c => c!["id"]!.GetValue<string>()));
        var failed = Assert.Single(list, c => c!["state"]!.GetValue<string>() == "failed")!;
        Assert.Contains("CharWeb:Limits:MaxChardevs", failed["lastError"]!.GetValue<string>());
        Assert.Single(list, c => c!["state"]!.GetValue<string>() == "open");
        using var third = await lowered.PostJsonAsync("/api/chardevs", """{"id": "three", "backend": {"type": "null"}}""");
        Assert.Equal(Limit, (await Problem.ReadAsync(third)).Type);
    }

    [Fact]
    public async Task SecondConsoleOnOneConnectionPastMaxConsolesPerConnection1IsRefusedNamingItUntilTheFirstDetaches()
    {
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["CharWeb:Limits:MaxConsolesPerConnection"] = "1" });
        await server.CreateAsync("""{"id": "a", "backend": {"type": "null"}}""");
        await server.CreateAsync("""{"id": "b", "backend": {"type": "null"}}""");
        await using var first = await HubConsole.ConnectAsync(server);
        await using var other = await HubConsole.ConnectAsync(server);
        await first.AttachAsync("a");

        var refused = await Assert.ThrowsAsync<HubException>(() => AttachAsync(first.Connection, "b"));
        await other.AttachAsync("b");

        Assert.Contains("this connection has 1 consoles attached, the most allowed (CharWeb:Limits:MaxConsolesPerConnection)", refused.Message);
        Assert.Equal(HubConnectionState.Connected, first.Connection.State);
        Assert.Equal(1, await HubConsole.CountAsync(server, "a"));
        Assert.Equal(1, await HubConsole.CountAsync(server, "b"));

        await first.DetachAsync();
        // The connection gives its console back before the chardev stops counting it, so no console on a means room on the connection.
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "a") == 0, "the first console has left a");
        using var again = await AttachAsync(first.Connection, "b");

        Assert.Equal(2, await HubConsole.CountAsync(server, "b"));
        var refusedAgain = await Assert.ThrowsAsync<HubException>(() => AttachAsync(first.Connection, "a"));
        Assert.Contains("CharWeb:Limits:MaxConsolesPerConnection", refusedAgain.Message);
    }

    [Fact]
    public async Task AnAttachWithoutAnIdIsRefusedWithoutTakingAConsoleOfTheLimits()
    {
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["CharWeb:Limits:MaxConsolesPerConnection"] = "1",
            ["CharWeb:Limits:MaxConsoles"] = "1",
        });
        await server.CreateAsync("""{"id": "a", "backend": {"type": "null"}}""");
        await using var first = await HubConsole.ConnectAsync(server);
        for (var i = 0; i < 3; i++)
        {
            var refused = await Assert.ThrowsAsync<HubException>(() => AttachAsync(first.Connection, null!));
            Assert.Contains("id is required", refused.Message);
        }

        // Neither the connection's one console nor the server's one was used up by the refusals.
        using var attached = await AttachAsync(first.Connection, "a");
        Assert.Equal(1, await HubConsole.CountAsync(server, "a"));
    }

    [Fact]
    public async Task SecondListWatcherOnOneConnectionPastMaxWatchersPerConnection1IsRefusedNamingItUntilTheFirstStops()
    {
        const string key = "CharWeb:Limits:MaxWatchersPerConnection";
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { [key] = "1" });
        await server.CreateAsync("""{"id": "a", "backend": {"type": "null"}}""");
        await using var first = await HubConsole.ConnectAsync(server);
        await using var other = await HubConsole.ConnectAsync(server);
        using var watching = new CancellationTokenSource();
        var watcher = await WatchAsync(first.Connection, watching.Token);

        var refused = await Assert.ThrowsAsync<HubException>(() => WatchAsync(first.Connection, CancellationToken.None));
        await using var elsewhere = await WatchAsync(other.Connection, CancellationToken.None);

        Assert.Contains($"this connection runs 1 chardev-list watchers, the most allowed ({key})", refused.Message);
        Assert.Equal(["a"], watcher.Current.Select(c => c["id"]?.ToString()));
        Assert.Equal(["a"], elsewhere.Current.Select(c => c["id"]?.ToString()));
        Assert.Equal(HubConnectionState.Connected, first.Connection.State);

        await watching.CancelAsync();
        await watcher.DisposeAsync().AsTask().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        // Nothing tells the client when the server has ended a cancelled stream; the condition is that a watcher is taken again.
        IAsyncEnumerator<List<Dictionary<string, object?>>>? again = null;
        await HubConsole.UntilAsync(
            async () =>
            {
                try
                {
                    again = await WatchAsync(first.Connection, CancellationToken.None);
                    return true;
                }
                catch (HubException ex) when (ex.Message.Contains(key, StringComparison.Ordinal))
                {
                    return false;
                }
            },
            "the connection may watch again once its watcher stopped");
        var resumed = again!;
        await using (resumed)
        {
            Assert.Equal(["a"], resumed.Current.Select(c => c["id"]?.ToString()));
        }
    }

    [Fact]
    public async Task SecondConsoleOnAChardevPastMaxConsolesPerChardev1IsRefusedNamingItAndGivesTheConnectionsCountBack()
    {
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["CharWeb:Limits:MaxConsolesPerChardev"] = "1",
            ["CharWeb:Limits:MaxConsolesPerConnection"] = "1",
        });
        await server.CreateAsync("""{"id": "a", "backend": {"type": "null"}}""");
        await server.CreateAsync("""{"id": "b", "backend": {"type": "null"}}""");
        await using var first = await HubConsole.ConnectAsync(server);
        await using var second = await HubConsole.ConnectAsync(server);
        await using var third = await HubConsole.ConnectAsync(server);
        await first.AttachAsync("a");

        var refused = await Assert.ThrowsAsync<HubException>(() => AttachAsync(second.Connection, "a"));

        Assert.Contains("chardev 'a' has 1 consoles, the most this server allows (CharWeb:Limits:MaxConsolesPerChardev)", refused.Message);
        Assert.Single(await HubConsole.ListAsync(server, "a"));
        Assert.Equal(HubConnectionState.Connected, second.Connection.State);

        // MaxConsolesPerConnection is 1 too: the refused attach did not keep the second connection's one console.
        await second.AttachAsync("b");
        Assert.Equal(1, await HubConsole.CountAsync(server, "b"));

        await first.DetachAsync();
        await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "a") == 0, "the first console has left a");
        await third.AttachAsync("a");
        Assert.Single(await HubConsole.ListAsync(server, "a"));
    }

    [Fact]
    public async Task AUsersConnectionsPastMaxConnectionsPerUserAreRefusedWhileAnotherUsersAreNot()
    {
        const string key = "CharWeb:Limits:MaxConnectionsPerUser";
        var settings = new Dictionary<string, string?>(Access.TestKeys.Settings(anonymousLoopback: false)) { [key] = "1" };
        await using var server = await CharWebServer.StartAsync(settings: settings);
        await using var first = await Connected(server, Access.TestKeys.Viewer);

        var second = Connection(server, Access.TestKeys.Viewer);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        second.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        // The handshake completes; the server then closes the connection, saying why.
        await second.StartAsync(CharWebServer.Timeout());
        var refused = await closed.Task.WaitAsync(CharWebServer.Timeout());
        await using var otherUser = await Connected(server, Access.TestKeys.Operator);

        Assert.Contains(key, refused?.Message);
        Assert.Equal(HubConnectionState.Disconnected, second.State);
        Assert.Equal(HubConnectionState.Connected, first.State);
        Assert.Equal(HubConnectionState.Connected, otherUser.State);
        await second.DisposeAsync();

        // Once the first leaves, the user may connect again.
        await first.StopAsync(CharWebServer.Timeout());
        await HubConsole.UntilAsync(
            async () =>
            {
                await using var again = Connection(server, Access.TestKeys.Viewer);
                await again.StartAsync(CharWebServer.Timeout());
                // Refused, it is closed by the server before any call is served; admitted, it answers one.
                try
                {
                    await again.InvokeAsync("Ack", "a", 0L, CharWebServer.Timeout());
                    return true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return false;
                }
            },
            "the user may connect again once the first connection closed");
    }

    [Fact]
    public async Task ConsolesPastMaxConsolesAreRefusedOnAnyConnection()
    {
        const string key = "CharWeb:Limits:MaxConsoles";
        await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { [key] = "1" });
        await server.CreateAsync("""{"id": "a", "backend": {"type": "null"}}""");
        await server.CreateAsync("""{"id": "b", "backend": {"type": "null"}}""");
        await using var first = await HubConsole.ConnectAsync(server);
        await using var other = await HubConsole.ConnectAsync(server);
        using var attached = await AttachAsync(first.Connection, "a");

        var refused = await Assert.ThrowsAsync<HubException>(() => AttachAsync(other.Connection, "b"));

        Assert.Contains($"this server has 1 consoles attached, the most it allows ({key})", refused.Message);
    }

    private static HubConnection Connection(CharWebServer server, string key) =>
        new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, "hubs/console"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(key)).Build();

    private static async Task<HubConnection> Connected(CharWebServer server, string key)
    {
        var connection = Connection(server, key);
        await connection.StartAsync(CharWebServer.Timeout());
        return connection;
    }

    [Theory]
    [InlineData("MaxChardevs", "0")]
    [InlineData("MaxChardevs", "1000001")]
    [InlineData("MaxBufferBytes", "-1")]
    [InlineData("MaxConsolesPerChardev", "0")]
    [InlineData("MaxConsolesPerConnection", "0")]
    [InlineData("MaxConsolesPerConnection", "100001")]
    [InlineData("MaxWatchersPerConnection", "0")]
    [InlineData("MaxWatchersPerConnection", "1001")]
    public async Task ALimitOutOfItsRangeFailsTheStartNamingItsKey(string name, string value)
    {
        var error = await StartFailureAsync(new Dictionary<string, string?> { ["CharWeb:Limits:" + name] = value });

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith($"CharWeb:Limits:{name}: ", failure, StringComparison.Ordinal);
        Assert.Contains("must be between", failure);
    }

    [Fact]
    public async Task EveryBadLimitFailsTheStartAtOnceEachNamedByItsKey()
    {
        var error = await StartFailureAsync(new Dictionary<string, string?>
        {
            ["CharWeb:Limits:MaxChardevs"] = "0",
            ["CharWeb:Limits:MaxBufferBytes"] = "-5",
            ["CharWeb:Limits:MaxConsolesPerChardev"] = "0",
            ["CharWeb:Limits:MaxConsolesPerConnection"] = "0",
            ["CharWeb:Limits:MaxWatchersPerConnection"] = "0",
        });

        Assert.Equal(
            ["CharWeb:Limits:MaxBufferBytes", "CharWeb:Limits:MaxChardevs", "CharWeb:Limits:MaxConsolesPerChardev", "CharWeb:Limits:MaxConsolesPerConnection", "CharWeb:Limits:MaxWatchersPerConnection"],
            error.Failures.Select(f => f[..f.IndexOf(": ", StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// One more console on <paramref name="connection"/> (a <see cref="HubConsole"/> holds one): returns once the
    /// server counted it, or throws the server's refusal. Cancelling the result detaches it.
    /// </summary>
    private static async Task<CancellationTokenSource> AttachAsync(HubConnection connection, string id)
    {
        var counted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var events = connection.On<string, Dictionary<string, object?>>(ConsoleHub.EventMethod, (chardev, payload) =>
        {
            if (chardev == id && new HubEvent(chardev, payload).Kind == "consoles")
            {
                counted.TrySetResult();
            }
        });
        var stream = new CancellationTokenSource();
        try
        {
            var reader = await connection.StreamAsChannelAsync<byte[]>("Attach", id, stream.Token).WaitAsync(CharWebServer.Timeout());
            if (await Task.WhenAny(counted.Task, reader.Completion).WaitAsync(CharWebServer.Timeout()) != counted.Task)
            {
                await reader.Completion;
                Assert.Fail($"the attach stream of '{id}' ended before the server counted the console");
            }

            return stream;
        }
        catch
        {
            await stream.CancelAsync();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Starts <c>WatchChardevs</c> on <paramref name="connection"/> and waits for its first list, or throws the server's refusal.</summary>
    private static async Task<IAsyncEnumerator<List<Dictionary<string, object?>>>> WatchAsync(HubConnection connection, CancellationToken cancellationToken)
    {
        var watcher = connection.StreamAsync<List<Dictionary<string, object?>>>("WatchChardevs", cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            Assert.True(await watcher.MoveNextAsync().AsTask().WaitAsync(CharWebServer.Timeout()), "WatchChardevs ended without sending the list");
            return watcher;
        }
        catch
        {
            await watcher.DisposeAsync();
            throw;
        }
    }

    private static async Task<OptionsValidationException> StartFailureAsync(Dictionary<string, string?> settings)
    {
        var contentRoot = Directory.CreateTempSubdirectory("charweb-root-").FullName;
        var dataDir = Directory.CreateTempSubdirectory("charweb-api-").FullName;
        await using var app = CharWebApp.Create(
            ["--urls=http://127.0.0.1:0", $"--contentRoot={contentRoot}", $"--CharWeb:DataDir={dataDir}"],
            builder => builder.Configuration.AddInMemoryCollection(settings));
        return await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(CharWebServer.Timeout()));
    }

    private static async Task<List<string>> IdsAsync(CharWebServer server) =>
        [.. (await server.ListAsync()).Select(c => c!["id"]!.GetValue<string>())];

    private static async Task<JsonObject> QmpAsync(CharWebServer server, string command)
    {
        using var response = await server.PostJsonAsync("/api/qmp", command);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(CharWebServer.Timeout()))!.AsObject();
    }
}
