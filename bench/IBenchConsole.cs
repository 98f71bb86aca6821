namespace CharWeb.Bench;

/// <summary>How a console of the harness reaches the server.</summary>
public enum ConsoleWire
{
    /// <summary>The SignalR console hub over MessagePack, as the browser console (<see cref="BenchConsole"/>).</summary>
    Hub,

    /// <summary>A plain binary WebSocket on <c>/ws/chardevs/{id}</c>, as a tool would use it (<see cref="WebSocketConsole"/>).</summary>
    RawWebSocket,
}

/// <summary>A console the harness runs, whatever its wire: what it received, what the server says it lost, and a wait for the rest.</summary>
public interface IBenchConsole : IAsyncDisposable
{
    /// <summary>A healthy console (true) takes output as fast as it comes; a stalled one never acknowledges, or never reads.</summary>
    bool Acknowledges { get; }

    long Received { get; }

    /// <summary>Bytes the server says this console lost (the <c>total</c> of its last <c>overrun</c>).</summary>
    long Lost { get; }

    /// <summary>Stopwatch timestamp of the last byte received.</summary>
    long LastAt { get; }

    /// <summary>
    /// Waits until received plus lost reaches <paramref name="total"/>; false if nothing moved for
    /// <paramref name="idle"/> (the caller reports what arrived).
    /// </summary>
    Task<bool> WaitForAsync(long total, TimeSpan idle, CancellationToken cancellationToken);
}
