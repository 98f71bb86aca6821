using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>
/// Who listens to a chardev's events (the registry, the hub): each is called in turn on the thread
/// where the event happened, and one that throws is logged; it never stops the others or the device.
/// </summary>
internal sealed partial class ChardevEventHandlers(string chardevId, ILogger logger)
{
    private readonly ILogger _logger = logger;

    public event Action<ChardevEvent>? Raised;

    public void Raise(ChardevEvent e)
    {
        foreach (var handler in Raised?.GetInvocationList().Cast<Action<ChardevEvent>>() ?? [])
        {
            try
            {
                handler(e);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(chardevId, e.Kind, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Chardev {ChardevId}: a {Kind} event handler failed")]
    private partial void LogHandlerFailed(string chardevId, ChardevEventKind kind, Exception exception);
}
