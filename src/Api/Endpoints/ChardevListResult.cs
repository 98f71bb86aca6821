using System.Reflection;
using System.Text.Json;
using CharWeb.Api.Cluster;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Endpoints;

/// <summary>
/// <c>GET /api/chardevs</c>'s answer, a JSON array written as it goes: this node's chardevs serialized here, the other
/// nodes' copied as the directory copy keeps them serialized (so ten thousand of them cost a copy, not a serializer
/// pass per list); in the order id, then node.
/// </summary>
internal sealed class ChardevListResult(List<ChardevResponse> own, IEnumerable<ListedChardev> others) : IResult, IEndpointMetadataProvider
{
    /// <summary>Written to the response in pieces of about this size.</summary>
    private const int FlushBytes = 64 * 1024;

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(List<ChardevResponse>), ["application/json"]));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        var body = response.BodyWriter;
        await using var writer = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented, SkipValidation = true });
        writer.WriteStartArray();
        var sent = 0L;
        foreach (var (chardev, json) in Ordered())
        {
            if (json is null)
            {
                JsonSerializer.Serialize(writer, chardev, options);
            }
            else
            {
                writer.WriteRawValue(json, skipInputValidation: true);
            }

            // The serializer hands its bytes to the pipe as it goes; the pipe sends them once told.
            if (writer.BytesCommitted + writer.BytesPending - sent >= FlushBytes)
            {
                await writer.FlushAsync(httpContext.RequestAborted);
                await body.FlushAsync(httpContext.RequestAborted);
                sent = writer.BytesCommitted;
            }
        }

        writer.WriteEndArray();
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Both lists merged, each already in order (this node's by id; the others' by id, then node).</summary>
    private IEnumerable<(ChardevResponse Chardev, byte[]? Json)> Ordered()
    {
        using var theirs = others.GetEnumerator();
        var more = theirs.MoveNext();
        foreach (var mine in own)
        {
            for (; more && Before(theirs.Current.Chardev, mine); more = theirs.MoveNext())
            {
                yield return (theirs.Current.Chardev, theirs.Current.Json);
            }

            yield return (mine, null);
        }

        for (; more; more = theirs.MoveNext())
        {
            yield return (theirs.Current.Chardev, theirs.Current.Json);
        }
    }

    private static bool Before(ChardevResponse a, ChardevResponse b) => Order(a, b) < 0;

    /// <summary>The list's order, wherever it is kept: by id, then by node.</summary>
    public static int Order(ChardevResponse a, ChardevResponse b) =>
        StringComparer.Ordinal.Compare(a.Id, b.Id) is var byId and not 0 ? byId : StringComparer.Ordinal.Compare(a.Node, b.Node);
}
