using CharWeb.Engine;

namespace CharWeb.Api.Hosting;

/// <summary>Restores stored and configured chardevs when the server starts; closes them all when it stops.</summary>
internal sealed class ChardevStartup(ChardevRegistry registry, IConfiguration configuration, BackendRegistry backends) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        registry.StartAsync(DeclaredChardevs.Read(configuration.GetSection("CharWeb:Chardevs"), backends), cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await registry.DisposeAsync();
}
