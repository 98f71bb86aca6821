namespace CharWeb.Engine;

/// <summary>Where the device side of a chardev stands.</summary>
public enum ChardevState
{
    /// <summary>The device side is connected; input reaches it.</summary>
    Open,
    /// <summary>A client is trying to reach its peer.</summary>
    Connecting,
    /// <summary>A server waits for its peer.</summary>
    Listening,
    /// <summary>The device side went away (peer hung up, program exited).</summary>
    Closed,
    /// <summary>The backend could not be opened or broke down.</summary>
    Failed,
    /// <summary>Only in a cluster's listing: the node that owns the chardev stopped answering (its heartbeat expired).</summary>
    Unreachable,
}
