using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using CharWeb.Engine;

namespace CharWeb.Api.Hosting;

/// <summary>Loads the stored API keys, starts the audit writer, and audits every move of a writer seat.</summary>
internal sealed class AccessStartup(ApiKeyStore keys, AuditLog audit, ChardevRegistry registry) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await keys.InitializeAsync(cancellationToken);
        await audit.InitializeAsync(cancellationToken);
        registry.EventRaised += OnEvent;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        registry.EventRaised -= OnEvent;
        return Task.CompletedTask;
    }

    // Seats also move by themselves (the holder left), so they are audited where every move is seen.
    private void OnEvent(ChardevEvent e)
    {
        if (e.Kind == ChardevEventKind.Writer)
        {
            audit.Record(AuditActors.Server, "writer", e.ChardevId, detail: e.Name is { } name ? $"{name} holds the seat" : "the seat is free");
        }
    }
}
