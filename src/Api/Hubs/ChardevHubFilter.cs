using CharWeb.Engine;
using Microsoft.AspNetCore.SignalR;
using Serilog.Events;

namespace CharWeb.Api.Hubs;

/// <summary>
/// A refused hub call is an error the client can show (a <see cref="HubException"/>), never a dead connection,
/// and a line of the server's log at information, not an error with a stack: it is the caller's mistake.
/// </summary>
internal sealed partial class ChardevHubFilter(ILogger<ChardevHubFilter> logger) : IHubFilter
{
    private const string Dispatcher = "\"Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher\"";

    /// <summary>SignalR's own error line for a call that ended in a <see cref="HubException"/> (logged here instead).</summary>
    public static bool IsRefusalLoggedAsError(LogEvent e) =>
        e.Exception is HubException && e.Level >= LogEventLevel.Error
        && e.Properties.TryGetValue("SourceContext", out var source) && source.ToString() == Dispatcher;

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (Exception ex) when (ex is HubException or ChardevException or Access.AccessDeniedException)
        {
            Refused(invocationContext.HubMethodName, invocationContext.Context.User?.Identity?.Name, ex.Message);
            if (ex is HubException)
            {
                throw;
            }

            throw new HubException(ex.Message);
        }
    }
}
