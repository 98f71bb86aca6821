using CharWeb.Api.Access;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>The document as a whole: credentials needed unless an operation says otherwise, and what each tag covers.</summary>
internal sealed class SecurityDocumentFilter(IOptions<AuthSettings> auth) : IDocumentFilter
{
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Access"] = "Who the caller is, and API keys.",
        ["Audit"] = "Who attached, typed, broke, created, changed and removed what.",
        ["Backends"] = "The backend kinds this server offers (QEMU query-chardev-backends).",
        ["Cluster"] = "The nodes of a cluster (CharWeb:Cluster:Redis): list them, forget one that stopped for good.",
        ["Chardevs"] = "Create, change, remove, write to and read from chardevs (QEMU chardev-add, chardev-change, chardev-remove, ringbuf-write, ringbuf-read).",
        ["Consoles"] = "The consoles attached to a chardev, and its history and log as files.",
        ["Logs"] = "A chardev's logfile as it is kept (ranges), and its rotated logs.",
        ["Recordings"] = "A chardev's asciicast v2 recording, whole or by time.",
        ["Health"] = "Whether the server and its database are well; open to everyone.",
        ["QMP"] = "QEMU's QMP chardev commands, verbatim QAPI JSON.",
    };

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        document.Security = SecurityOperationFilter.Requirements(document, auth.Value);
        foreach (var tag in document.Tags?.AsEnumerable() ?? [])
        {
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
            {
                tag.Description ??= description;
            }
        }
    }
}
