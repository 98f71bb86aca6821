using System.Net.WebSockets;
using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using CharWeb.Api.Hubs;
using CharWeb.Api.Problems;
using CharWeb.Engine;
using CharWeb.Engine.Consoles;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Endpoints;

/// <summary>
/// <c>GET /ws/chardevs/{id}</c>: a console as a plain binary WebSocket, as QEMU's <c>websocket=on</c>
/// and websockify give one, for tools that do not speak SignalR. Everything a refusal can say is
/// said before the upgrade, as problem details (400, 404, 409); after it the socket is a console
/// like a hub's, with the same roles, writer seat, limits and audit.
/// </summary>
internal static class RawWebSocketEndpoint
{
    public const string Path = "/ws/chardevs";

    public static void MapRawWebSocketEndpoint(this IEndpointRouteBuilder app) =>
        app.MapGet(Path + "/{id}", ConnectAsync)
            .RequireRole(Role.Viewer)
            .WithName("RawWebSocketConsole")
            // A WebSocket is no REST operation a generated client could call; the README describes it.
            .ExcludeFromDescription();

    private static async Task<IResult> ConnectAsync(
        string id,
        HttpContext http,
        ChardevRegistry registry,
        HubLoad hubLoad,
        IOptions<CharWebOptions> options,
        IOptions<ConsoleSettings> console,
        AuditLog audit,
        TimeProvider time,
        IHostApplicationLifetime lifetime,
        ILogger<RawWebSocketConsole> logger)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.Problem(UpgradeNeeded(id));
        }

        var user = http.User;
        var chardev = user.Require(registry, id, Role.Viewer);
        var role = user.RoleOn(chardev)!.Value;
        var query = http.Request.Query;
        var readOnly = Flag(query["readonly"]) || role < Role.Operator;
        var limits = options.Value.Limits;
        var name = user.UserName();
        hubLoad.Connect(name, limits.MaxConnectionsPerUser);
        try
        {
            hubLoad.AddConsole(limits.MaxConsoles);
            try
            {
                var remote = http.Connection.RemoteIpAddress is { } ip ? $"{ip}:{http.Connection.RemotePort}" : "websocket";
                await using var session = chardev.Attach(new ConsoleOptions
                {
                    RemoteAddress = remote,
                    User = name,
                    ReadOnly = readOnly,
                    BufferBytes = console.Value.BufferBytes,
                    WindowBytes = console.Value.WindowBytes,
                });
                using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
                {
                    // A client that answers no ping (gone, or not reading at all) is dropped, as the hub drops a silent one.
                    KeepAliveInterval = TimeSpan.FromSeconds(console.Value.KeepAliveSeconds),
                    KeepAliveTimeout = TimeSpan.FromSeconds(console.Value.ClientTimeoutSeconds),
                });
                var actor = AuditActors.Of(http);
                audit.Record(actor, "attach", id, detail: (readOnly ? "read-only" : "read-write") + " websocket");
                var raw = new RawWebSocketConsole(socket, chardev, session, new RawWebSocketConsole.Settings
                {
                    Events = Flag(query["events"]),
                    ReadBytes = Math.Min(options.Value.MaxWriteBytes, 64 << 10),
                    Why = readOnly ? (role < Role.Operator ? $"{name} is a viewer on '{id}'" : "the socket was opened with readonly=1") : null,
                    Written = (data, accepted) => audit.Record(
                        actor, "write", id, data.Length, chardev.Definition.AuditInput ? data.Span : default, detail: accepted == data.Length ? null : $"{accepted} accepted"),
                }, time, logger);
                var ended = await raw.RunAsync(lifetime.ApplicationStopping, http.RequestAborted);
                audit.Record(actor, "detach", id, session.BytesSent, detail: $"{session.BytesLost} bytes lost; {ended}");
            }
            finally
            {
                hubLoad.RemoveConsole();
            }
        }
        finally
        {
            hubLoad.Disconnect(name);
        }

        return TypedResults.Empty;
    }

    private static bool Flag(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is "1" or "true";

    private static Microsoft.AspNetCore.Mvc.ProblemDetails UpgradeNeeded(string id)
    {
        var reason = "this path is a WebSocket: connect with a WebSocket client (Connection: Upgrade, Upgrade: websocket)";
        return ChardevProblemHandler.Create(
            StatusCodes.Status400BadRequest,
            "websocket-required",
            "A WebSocket upgrade is needed",
            $"{Path}/{id} is a raw WebSocket console; {reason}. The chardev itself is GET /api/chardevs/{id}",
            [new FieldError("upgrade", reason)]);
    }
}
