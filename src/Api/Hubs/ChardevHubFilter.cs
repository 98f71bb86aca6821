using CharWeb.Engine;
using Microsoft.AspNetCore.SignalR;

namespace CharWeb.Api.Hubs;

/// <summary>A refused hub call is an error the client can show (a <see cref="HubException"/>), never a dead connection.</summary>
internal sealed class ChardevHubFilter : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (ChardevException ex)
        {
            throw new HubException(ex.Message);
        }
        catch (Access.AccessDeniedException ex)
        {
            throw new HubException(ex.Message);
        }
    }
}
