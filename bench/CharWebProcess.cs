using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CharWeb.Bench;

/// <summary>
/// The published server started as its own process on loopback, as <c>PublishedServer</c> in the
/// Api tests does: port 0, a fresh data folder, its address read from Serilog's "Now listening on:".
/// </summary>
public sealed partial class CharWebProcess : IAsyncDisposable
{
    /// <summary><c>_SC_CLK_TCK</c> in Linux's unistd.h (Tmds.LibC has <c>sysconf</c> but not the name).</summary>
    private const int ScClockTicks = 2;

    /// <summary>The unit of /proc/pid/stat's times (100 on Linux as built today, but asked, as <c>getconf CLK_TCK</c> does).</summary>
    private static readonly Lazy<long> ClockTicksPerSecond = new(() => (long)Tmds.Linux.LibC.sysconf(ScClockTicks));

    private readonly Process _process;
    private readonly string _dataDir;

    private CharWebProcess(Process process, Uri address, string dataDir)
    {
        _process = process;
        _dataDir = dataDir;
        BaseAddress = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

    /// <summary>
    /// Settings that let one chardev take <paramref name="consoles"/> consoles, each on a hub connection of its
    /// own from the same (anonymous loopback) user: the server's defaults stop at 64 per chardev and 128 per user.
    /// </summary>
    public static Dictionary<string, string> ConsoleLimits(int consoles) => new()
    {
        ["CharWeb__Limits__MaxConsolesPerChardev"] = $"{Math.Max(consoles, 64)}",
        ["CharWeb__Limits__MaxConnectionsPerUser"] = $"{Math.Max(consoles + 8, 128)}",
    };

    /// <summary><c>dotnet publish src/Api -c Release</c> into a temporary folder; answers the folder.</summary>
    public static async Task<string> PublishAsync(string repoRoot, CancellationToken cancellationToken)
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("charweb-bench-publish-").FullName, "app");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = repoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", "src/Api/Api.csproj", "-c", "Release", "-o", output, "-nologo", "-v", "q" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("dotnet publish failed: " + await stdout + await stderr);
        }

        return output;
    }

    /// <summary>Starts the server; <paramref name="settings"/> are extra environment variables (configuration such as <c>CharWeb__Exec__Allowed__0</c>).</summary>
    public static async Task<CharWebProcess> StartAsync(string appDir, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-bench-data-").FullName;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = appDir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(appDir, "CharWeb.dll"));
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["CharWeb__DataDir"] = dataDir;
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        try
        {
            var address = await ListeningAddressAsync(process, cancellationToken);
            return new CharWebProcess(process, new Uri(address), dataDir);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Resident set size of the server process (VmRSS), in bytes.</summary>
    public long ResidentBytes() => StatusBytes("VmRSS:");

    /// <summary>The server's peak resident set (VmHWM) since it started or since <see cref="ResetPeakResident"/>, in bytes.</summary>
    public long PeakResidentBytes() => StatusBytes("VmHWM:");

    /// <summary>Sets the server's peak resident set back to what it holds now (<c>echo 5 &gt; /proc/pid/clear_refs</c>).</summary>
    public void ResetPeakResident() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    /// <summary>CPU the server process has used so far, user and system (utime + stime of /proc/pid/stat), in seconds.</summary>
    public double CpuSeconds()
    {
        // The command name in field 2 may hold spaces and parentheses; the fields after its closing one are plain.
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / (double)ClockTicksPerSecond.Value;
    }

    /// <summary>CPU the runtime's tiered-compilation thread (<c>.NET Tiered Com</c>) has used so far, in seconds: it moves while the JIT still recompiles hot methods.</summary>
    public double JitSeconds()
    {
        var ticks = 0L;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{_process.Id}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                if (stat.Contains("(.NET Tiered Com", StringComparison.Ordinal))
                {
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }

        return ticks / (double)ClockTicksPerSecond.Value;
    }

    /// <summary><c>POST /api/chardevs</c>; answers the created chardev.</summary>
    public async Task<JsonObject> CreateAsync(object body, CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsJsonAsync("/api/chardevs", body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating a chardev answered {(int)response.StatusCode}: {text}");
        }

        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>A TCP socket server chardev on a free loopback port; answers the port it bound.</summary>
    public Task<int> CreateSocketServerAsync(string id, CancellationToken cancellationToken) =>
        CreateSocketServerAsync(id, flow: null, cancellationToken);

    /// <summary>The same with <c>flow</c> set (<c>pace</c> or <c>drop</c>; null leaves it to the server's default).</summary>
    public async Task<int> CreateSocketServerAsync(string id, string? flow, CancellationToken cancellationToken)
    {
        var backend = new { type = "socket", server = true, addr = new { type = "inet", host = "127.0.0.1", port = 0 } };
        var created = await CreateAsync(flow is null ? new { id, backend } : (object)new { id, backend, flow }, cancellationToken);
        var filename = created["filename"]!.GetValue<string>();
        var match = BoundPort().Match(filename);
        return match.Success
            ? int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException("no bound port in filename " + filename);
    }

    /// <summary><c>GET /api/chardevs/{id}</c>.</summary>
    public async Task<JsonObject> GetAsync(string id, CancellationToken cancellationToken) =>
        (await Http.GetFromJsonAsync<JsonObject>($"/api/chardevs/{id}", cancellationToken))!;

    /// <summary><c>DELETE /api/chardevs/{id}</c>.</summary>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await Http.DeleteAsync($"/api/chardevs/{id}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"deleting '{id}' answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>Waits until the chardev's device side is connected (a pty's slave is open, say), polling with a deadline.</summary>
    public async Task WaitConnectedAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var chardev = await PollAsync(id, c => c["connected"]!.GetValue<bool>(), timeout, TimeSpan.FromMilliseconds(20), cancellationToken);
        if (!chardev["connected"]!.GetValue<bool>())
        {
            throw new TimeoutException($"'{id}' was not connected within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Polls the chardev every <paramref name="interval"/> until its output counter has <paramref name="bytes"/>
    /// or <paramref name="timeout"/> has passed; answers the chardev as last seen, for the caller to judge.
    /// </summary>
    public Task<JsonObject> WaitOutputAsync(string id, long bytes, TimeSpan timeout, TimeSpan interval, CancellationToken cancellationToken) =>
        PollAsync(id, c => Stat(c, "outputBytes") >= bytes, timeout, interval, cancellationToken);

    public static long Stat(JsonObject chardev, string name) => chardev["stats"]![name]!.GetValue<long>();

    /// <summary><c>GET /api/chardevs/{id}</c> every <paramref name="interval"/> until <paramref name="done"/> or the deadline; answers the last answer.</summary>
    private async Task<JsonObject> PollAsync(string id, Func<JsonObject, bool> done, TimeSpan timeout, TimeSpan interval, CancellationToken cancellationToken)
    {
        // The server raises no event a REST client could wait on: poll, with a deadline.
        var deadline = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * timeout.TotalSeconds);
        while (true)
        {
            var chardev = await GetAsync(id, cancellationToken);
            if (done(chardev) || Stopwatch.GetTimestamp() > deadline)
            {
                return chardev;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    private long StatusBytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kb = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no {field} in /proc status of the server");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    private static async Task<string> ListeningAddressAsync(Process app, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (await app.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                // Keep draining the log so the server never blocks on a full pipe.
                _ = app.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                _ = app.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                return match.Groups["address"].Value;
            }
        }

        throw new InvalidOperationException("the server exited before listening: " + await app.StandardError.ReadToEndAsync(timeout.Token));
    }

    [GeneratedRegex("Now listening on: (?<address>http://[^\\s]+)")]
    private static partial Regex Listening();

    [GeneratedRegex(":(?<port>\\d+),server=on")]
    private static partial Regex BoundPort();
}
