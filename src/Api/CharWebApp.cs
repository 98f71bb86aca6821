using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using CharWeb.Api.Cluster;
using CharWeb.Api.Endpoints;
using CharWeb.Api.Hosting;
using CharWeb.Api.Hubs;
using CharWeb.Api.Metrics;
using CharWeb.Api.OpenApi;
using CharWeb.Api.Problems;
using CharWeb.Api.Qmp;
using CharWeb.Engine;
using CharWeb.Engine.Json;
using CharWeb.Engine.Persistence;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serilog;

namespace CharWeb.Api;

/// <summary>Builds the CharWeb web application; Program and the tests both start it from here.</summary>
public static class CharWebApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            WebRootPath = FindWebRoot(),
        });
        configure?.Invoke(builder);

        var backends = BackendRegistry.CreateDefault();
        var services = builder.Services;
        services.AddSingleton(backends);
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<CharWebOptions>()
            .Bind(builder.Configuration.GetSection(CharWebOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CharWebOptions>, PolicySettingsValidation>();

        services.AddSerilog(
            // ASP.NET Core's request-start lines carry the full URL, and with it a hub's access_token: off unless configured on.
            (provider, logger) => logger.MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", Serilog.Events.LogEventLevel.Warning)
                // SignalR logs every refused hub call as an error; a HubException is the caller's answer, logged by ChardevHubFilter.
                .Filter.ByExcluding(ChardevHubFilter.IsRefusalLoggedAsError)
                .ReadFrom.Configuration(builder.Configuration).ReadFrom.Services(provider).Enrich.FromLogContext(),
            preserveStaticLogger: true);

        services.ConfigureHttpJsonOptions(o => EngineJson.Configure(o.SerializerOptions, backends));
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(o => EngineJson.Configure(o.JsonSerializerOptions, backends));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<CharWebOptions>>().Value;
            var dataDir = Path.GetFullPath(Path.Combine(builder.Environment.ContentRootPath, options.DataDir));
            return new BackendContext(
                new PathPolicy(dataDir, options.AllowedPaths),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILoggerFactory>())
            {
                Exec = ExecSettings.Read(builder.Configuration.GetSection(ExecSettings.Section)),
                // Bad entries never get here: PolicySettingsValidation refuses them at start.
                Destinations = options.Network.Destinations(new List<FieldError>()),
                Devices = options.Devices.Policy(),
                Limits = options.Limits.ForEngine(),
                KeystrokeEchoed = provider.GetRequiredService<KeystrokeMetrics>().Echoed,
            };
        });
        services.AddSingleton(provider =>
        {
            var context = provider.GetRequiredService<BackendContext>();
            return new ChardevDatabase(Path.Combine(context.Paths.DataDir, ChardevDatabase.FileName), EngineJson.Create(backends));
        });
        services.AddSingleton<ChardevRegistry>();
        services.AddSingleton<HubLoad>();
        services.AddSingleton(provider => new AuditLog(
            provider.GetRequiredService<ChardevDatabase>().Path, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<AuditLog>>()));
        services.AddHostedService<ChardevStartup>();
        services.AddHostedService<AccessStartup>();
        builder.AddCharWebAccess();
        builder.AddCharWebCluster();
        builder.AddCharWebMetrics();

        services.AddOptions<ConsoleSettings>()
            .Bind(builder.Configuration.GetSection(ConsoleSettings.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var console = builder.Configuration.GetSection(ConsoleSettings.Section).Get<ConsoleSettings>() ?? new ConsoleSettings();
        var maxWrite = builder.Configuration.GetValue<int?>($"{CharWebOptions.Section}:{nameof(CharWebOptions.MaxWriteBytes)}") ?? new CharWebOptions().MaxWriteBytes;
        services.AddSignalR(o =>
            {
                // Chosen, not defaulted: a vanished browser is detached within ClientTimeoutSeconds.
                o.KeepAliveInterval = TimeSpan.FromSeconds(console.KeepAliveSeconds);
                o.ClientTimeoutInterval = TimeSpan.FromSeconds(console.ClientTimeoutSeconds);
                // Room for the largest write; a write over MaxWriteBytes is refused by the hub, not by closing the connection.
                o.MaximumReceiveMessageSize = (maxWrite * 2L) + (64 << 10);
                // One invocation at a time per client keeps keystrokes in order.
                o.MaximumParallelInvocationsPerClient = 1;
                o.AddFilter<ChardevHubFilter>();
            });
        // MessagePack as SignalR's own, writing each output stream item whole (one WebSocket frame, one copy).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHubProtocol, OutputMessagePackProtocol>());

        services.AddProblemDetails(o => o.CustomizeProblemDetails = FrameworkProblems.Customize);
        services.AddExceptionHandler<ChardevProblemHandler>();
        services.AddEndpointsApiExplorer();
        services.AddCharWebOpenApi(backends);

        // A write of MaxWriteBytes travels base64-encoded inside JSON; cap the body just above that.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = (maxWrite * 2L) + (64 << 10));

        var app = builder.Build();
        // Outermost, so it logs the status that problem details turned exceptions into. The static
        // Serilog logger stays unset (each app in a test run has its own), so hand over ours.
        app.UseSerilogRequestLogging(o => o.Logger = app.Services.GetRequiredService<Serilog.ILogger>());
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseCharWebGuards();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseCharWebOpenApi();
        // For the raw consoles (/ws/chardevs/{id}); the hub adds its own. Keep-alive is set per socket.
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseCharWebCluster();

        app.MapBackendEndpoints();
        app.MapChardevEndpoints();
        app.MapClusterEndpoints();
        app.MapConsoleEndpoints();
        app.MapLogEndpoints();
        app.MapRecordingEndpoints();
        app.MapQmpEndpoint();
        app.MapHealthEndpoint();
        app.MapCharWebMetrics();
        app.MapAccessEndpoints();
        app.MapAuditEndpoints();
        app.MapRawWebSocketEndpoint();
        app.MapHub<ConsoleHub>(ConsoleHub.Path, o =>
        {
            // Output the hub writes is paused at 64 KiB buffered by default, one 64 KiB output item at a
            // time; what a console may have in flight is bounded by its own window (CharWeb:Console:WindowBytes).
            o.TransportMaxBufferSize = 1 << 20;
        });
        return app;
    }

    /// <summary>Published: <c>wwwroot</c> beside the app. From source: <c>src/wwwroot</c>.</summary>
    private static string? FindWebRoot()
    {
        foreach (var candidate in new[] { Path.Combine(AppContext.BaseDirectory, "wwwroot"), Path.Combine(Directory.GetCurrentDirectory(), "..", "wwwroot") })
        {
            if (Directory.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }
}
