using Yarp.ReverseProxy.Forwarder;

namespace CharWeb.Api.Cluster;

internal sealed partial class NodeForwarder
{
    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "{Method} {Path} forwarded to node {Node}: {Status}")]
    private partial void LogForwarded(string method, string path, string node, int status);

    [LoggerMessage(EventId = 51, Level = LogLevel.Warning, Message = "{Method} {Path} could not be forwarded to node {Node} ({Error})")]
    private partial void LogForwardFailed(string method, string path, string node, ForwarderError error, Exception? exception);
}
