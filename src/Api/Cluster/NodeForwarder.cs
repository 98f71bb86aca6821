using System.Diagnostics;
using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace CharWeb.Api.Cluster;

/// <summary>
/// Sends a request on to the node that owns what it is about, with YARP's <see cref="IHttpForwarder"/>, and
/// writes that node's answer as this one's. The caller's own credentials never leave this node: the owner gets
/// the caller's identity signed by this node (<see cref="SignedIdentity"/>) instead.
/// </summary>
internal sealed partial class NodeForwarder(IHttpForwarder forwarder, SignedIdentity identity, ILogger<NodeForwarder> logger) : IDisposable
{
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
    });

    private static readonly ForwarderRequestConfig Config = new() { ActivityTimeout = TimeSpan.FromSeconds(100) };

    public async Task SendAsync(HttpContext http, string node, string url, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        if (body is { } bytes)
        {
            http.Request.Body = new MemoryStream(bytes.ToArray(), writable: false);
            http.Request.ContentLength = bytes.Length;
        }

        // A token in the URL (a browser's WebSocket) stays here like the Authorization header.
        var query = QueryString.Create(http.Request.Query.Where(q => !Access.Credentials.QueryNames.Contains(q.Key, StringComparer.OrdinalIgnoreCase)));
        var signed = identity.Sign(http.User, node, http.Request.Method, http.Request.Path + query);
        var error = await forwarder.SendAsync(http, url, _client, Config, new SignedIdentityTransformer(signed, query));
        if (error == ForwarderError.None)
        {
            LogForwarded(http.Request.Method, http.Request.Path, node, http.Response.StatusCode);
            return;
        }

        var failure = http.Features.Get<IForwarderErrorFeature>()?.Exception;
        LogForwardFailed(http.Request.Method, http.Request.Path, node, error, failure);
        if (!http.Response.HasStarted)
        {
            throw ClusterException.NodeUnreachable(node, $"{error}{(failure is null ? "" : ": " + failure.Message)}", failure);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>YARP's default copy of the request, less what must not cross: the caller's credentials and cookies, browser and proxy headers this node has judged, any identity the caller made up.</summary>
    private sealed class SignedIdentityTransformer(string signed, QueryString query) : HttpTransformer
    {
        private static readonly string[] Dropped =
        [
            "Authorization", "Cookie", "Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User",
            "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", SignedIdentity.Header,
        ];

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, httpContext.Request.Path, query);
            foreach (var header in Dropped)
            {
                proxyRequest.Headers.Remove(header);
            }

            proxyRequest.Headers.TryAddWithoutValidation(SignedIdentity.Header, signed);
        }
    }
}
