using System.Runtime.CompilerServices;
using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using CharWeb.Api.Cluster;
using Microsoft.AspNetCore.SignalR;

namespace CharWeb.Api.Hubs;

/// <summary>
/// Consoles of a chardev that another node owns: SignalR's backplane carries no streams, so this hub relays one
/// (<see cref="RemoteConsole"/>). This node checks the caller's role, as for REST; the owner judges the chardev's own
/// access lists for the identity this node signs.
/// </summary>
public sealed partial class ConsoleHub
{
    private static readonly TimeSpan AttachWait = TimeSpan.FromSeconds(3);

    /// <summary>A call another node forwarded is answered here, never relayed on: one hop, as for REST.</summary>
    private bool Forwarded => Context.User!.HasClaim(c => c.Type == NodeIdentityHandler.OriginClaim);

    /// <summary>The node other than this one that holds <paramref name="id"/>; null when this node answers for it.</summary>
    private async Task<string?> OwnerElsewhereAsync(string id, CancellationToken cancellationToken) =>
        registry.TryGet(id, out _) || Forwarded ? null : await nodes.OwnerOfAsync(id, cancellationToken);

    /// <summary>
    /// Once an <c>Attach(id)</c> of this connection under way is done (or after <see cref="AttachWait"/>, as the call
    /// holds the connection's one call slot meanwhile): the console relayed for <paramref name="id"/>, if it is one.
    /// </summary>
    private async Task<RemoteConsole?> AttachedRemoteAsync(string id)
    {
        var load = ConnectionLoad.Of(Context);
        try
        {
            await load.AttachedAsync(id).WaitAsync(AttachWait, Context.ConnectionAborted);
        }
        catch (TimeoutException)
        {
            // Still attaching: the call is answered as for a console not attached.
        }

        return load.Remote(id);
    }

    private async Task<RemoteConsole> AttachRemoteAsync(string id, string node, ConnectionLoad load, CancellationToken cancellationToken)
    {
        if (load.Session(id) is not null || load.Remote(id) is not null)
        {
            throw new HubException($"this connection is already attached to '{id}'");
        }

        var caller = Clients.Caller;
        RemoteConsole remote;
        try
        {
            remote = await nodes.AttachConsoleAsync(
                Context.User!, node, id, ReadOnlyConnection, payload => caller.SendAsync(EventMethod, id, payload, CancellationToken.None), cancellationToken);
        }
        catch (ClusterException ex)
        {
            throw new HubException(ex.Message);
        }

        if (!load.TryAddRemote(id, remote))
        {
            await remote.DisposeAsync();
            throw new HubException($"this connection is already attached to '{id}'");
        }

        audit.Record(Actor, "attach", id, detail: $"{(ReadOnlyConnection ? "read-only" : "as the role allows")}, on node {node} from node {nodes.Self}");
        return remote;
    }

    private async IAsyncEnumerable<byte[]> Relay(string id, RemoteConsole remote, ConnectionLoad load, AuditActor actor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in remote.ReadAllAsync(cancellationToken))
            {
                yield return chunk;
            }
        }
        finally
        {
            load.RemoveRemote(id, remote);
            load.RemoveConsole();
            hubLoad.RemoveConsole();
            await remote.DisposeAsync();
            audit.Record(actor, "detach", id, remote.BytesRelayed, detail: $"on node {remote.Node} from node {nodes.Self}");
        }
    }

    /// <summary>Typing, breaks and the writer seat need an operator here before the owner is asked.</summary>
    private void RequireOperatorRole()
    {
        if (ReadOnlyConnection)
        {
            throw new HubException("this console is read-only");
        }

        if (Context.User!.Role() is not >= Role.Operator)
        {
            throw AccessRules.Denied(Context.User!, Role.Operator, "on this installation", Context.User!.Role());
        }
    }

    /// <summary>Input for another node's chardev goes through a console attached to it, which the owner judges.</summary>
    private async Task RefuseElsewhereAsync(string id, string what)
    {
        if (await OwnerElsewhereAsync(id, Context.ConnectionAborted) is { } node)
        {
            throw new HubException($"'{id}' is on node '{node}': attach to it first to {what}");
        }
    }
}
