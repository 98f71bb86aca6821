using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using CharWeb.Engine;
using CharWeb.Engine.Qapi;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Qmp;

/// <summary>
/// <c>POST /api/qmp</c>: QEMU's chardev QMP commands, verbatim QAPI JSON in and out. Answers are
/// QMP's own, <c>{"return": ...}</c> or <c>{"error": {"class", "desc"}}</c>, always with HTTP 200 as a
/// QMP socket would; a chardev made here is the same object REST and consoles see.
/// </summary>
internal static class QmpEndpoint
{
    public const string OperationId = "Qmp";

    private delegate Task<JsonNode?> Handler(JsonObject arguments, QmpContext context, CancellationToken cancellationToken);

    private static readonly Dictionary<string, Handler> Commands = new(StringComparer.Ordinal)
    {
        ["qmp_capabilities"] = (_, _, _) => Task.FromResult<JsonNode?>(new JsonObject()),
        ["query-commands"] = (_, _, _) => Task.FromResult<JsonNode?>(new JsonArray(CommandNames.Select(n => (JsonNode?)new JsonObject { ["name"] = n }).ToArray())),
        ["chardev-add"] = AddAsync,
        ["chardev-change"] = ChangeAsync,
        ["chardev-remove"] = RemoveAsync,
        ["chardev-send-break"] = SendBreakAsync,
        ["query-chardev"] = QueryChardev,
        ["query-chardev-backends"] = QueryBackends,
        ["ringbuf-write"] = RingbufWriteAsync,
        ["ringbuf-read"] = RingbufRead,
    };

    /// <summary>The commands served, as <c>query-commands</c> lists them; the OpenAPI document's <c>execute</c> values.</summary>
    public static IEnumerable<string> CommandNames => Commands.Keys.Order(StringComparer.Ordinal);

    /// <summary>The body is read as JSON by hand (QMP's own errors for bad input); the document describes it (<see cref="OpenApi.QmpDocumentFilter"/>).</summary>
    public static void MapQmpEndpoint(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/qmp", ExecuteAsync)
            .WithName(OperationId)
            .WithTags("QMP")
            .RequireRole(Role.Admin)
            .WithSummary("QEMU QMP chardev commands, QAPI JSON in and out: chardev-add, chardev-change, chardev-remove, query-chardev, query-chardev-backends, ringbuf-write, ringbuf-read, chardev-send-break.")
            .Accepts<JsonObject>("application/json")
            .Produces<JsonObject>()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static async Task<IResult> ExecuteAsync(
        HttpRequest request, ChardevRegistry registry, Cluster.IClusterNodes nodes, IOptions<JsonOptions> json, IOptions<CharWebOptions> limits, AuditLog audit,
        CancellationToken cancellationToken)
    {
        // A cross-site page can send text/plain without asking first (no CORS preflight); JSON it cannot.
        if (!request.HasJsonContentType())
        {
            return TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = StatusCodes.Status415UnsupportedMediaType, Title = "Unsupported media type" });
        }

        JsonNode? id = null;
        try
        {
            var (command, body) = await ReadAsync(request, cancellationToken);
            id = command["id"]?.DeepClone();
            var name = command["execute"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new QapiException("Expected 'execute' in QMP input");
            if (!Commands.TryGetValue(name, out var handler))
            {
                throw new QapiException($"The command {name} has not been found", "CommandNotFound");
            }

            var arguments = command["arguments"] switch
            {
                null => [],
                JsonObject o => o,
                _ => throw new QapiException("QMP input member 'arguments' must be an object"),
            };
            var actor = AuditActors.Of(request.HttpContext);
            if (await Cluster.QmpOwner.OwnerAsync(request.HttpContext, name, arguments, registry, nodes, cancellationToken) is { } node)
            {
                await Cluster.QmpOwner.ForwardAsync(request.HttpContext, node, body, nodes, cancellationToken);
                audit.Record(actor, "forward", (string)(arguments["id"] ?? arguments["device"])!, detail: $"qmp {name} on node {node} from node {nodes.Self}: {request.HttpContext.Response.StatusCode}");
                return TypedResults.Empty;
            }

            var context = new QmpContext(registry, nodes, json.Value.SerializerOptions, limits.Value.MaxReadBytes, audit, actor);
            var result = await handler(arguments, context, cancellationToken) ?? new JsonObject();
            return Answer(new JsonObject { ["return"] = result }, id);
        }
        catch (QapiException ex)
        {
            return Error(ex.ErrorClass, ex.Message, id);
        }
        catch (ChardevException ex)
        {
            return Error("GenericError", QemuWording(ex), id);
        }
        catch (Cluster.ClusterException ex) when (!request.HttpContext.Response.HasStarted)
        {
            return Error("GenericError", ex.Message, id);
        }
    }

    /// <summary>The command, and the text it came as (for the owner, when another node has its chardev).</summary>
    private static async Task<(JsonObject Command, string Text)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        try
        {
            // A key given twice is refused while parsing, at any depth, as QEMU's parser refuses it.
            return (JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new QapiException("QMP input must be a JSON object"), text);
        }
        catch (JsonException ex)
        {
            throw new QapiException("JSON parse error, " + Engine.Json.JsonErrors.MessageOf(ex));
        }
    }

    private static async Task<JsonNode?> AddAsync(JsonObject arguments, QmpContext context, CancellationToken cancellationToken)
    {
        var definition = QapiBackend.ToDefinition(Text(arguments, "id"), Object(arguments, "backend"), context.Registry.Backends, context.Json);
        var chardev = await context.Registry.CreateAsync(definition, cancellationToken);
        context.Record("create", chardev.Id, detail: definition.Backend!.Type);
        return PtyReturn(chardev);
    }

    private static async Task<JsonNode?> ChangeAsync(JsonObject arguments, QmpContext context, CancellationToken cancellationToken)
    {
        var id = Text(arguments, "id");
        var (options, _, _) = QapiBackend.Convert(Object(arguments, "backend"), context.Registry.Backends, context.Json);
        var chardev = await context.Registry.ChangeBackendAsync(id, options, cancellationToken);
        context.Record("change", id, detail: options.Type);
        return PtyReturn(chardev);
    }

    private static async Task<JsonNode?> RemoveAsync(JsonObject arguments, QmpContext context, CancellationToken cancellationToken)
    {
        var id = Text(arguments, "id");
        await context.Registry.RemoveAsync(id, cancellationToken);
        context.Record("remove", id);
        return null;
    }

    private static async Task<JsonNode?> SendBreakAsync(JsonObject arguments, QmpContext context, CancellationToken cancellationToken)
    {
        var id = Text(arguments, "id");
        await context.Registry.Get(id).SendBreakAsync(context.Actor.InLog("qmp"), cancellationToken);
        context.Record("break", id, detail: "qmp");
        return null;
    }

    /// <summary>This node's chardevs, then (in a cluster) the other nodes' from the directory.</summary>
    private static async Task<JsonNode?> QueryChardev(JsonObject arguments, QmpContext context, CancellationToken cancellationToken)
    {
        var here = context.Registry.All.Select(c => (JsonNode?)new JsonObject
        {
            ["label"] = c.Id,
            ["filename"] = c.Filename,
            ["frontend-open"] = !c.Consoles.IsEmpty,
        });
        return new JsonArray(here.Concat(await Cluster.QmpOwner.OthersAsync(context.Registry, context.Nodes, cancellationToken)).ToArray());
    }

    private static Task<JsonNode?> QueryBackends(JsonObject arguments, QmpContext context, CancellationToken cancellationToken) =>
        Task.FromResult<JsonNode?>(new JsonArray(context.Registry.Backends.Kinds
            .SelectMany(k => k.Aliases.Prepend(k.Name))
            .Select(n => (JsonNode?)new JsonObject { ["name"] = n }).ToArray()));

    private static async Task<JsonNode?> RingbufWriteAsync(JsonObject arguments, QmpContext context, CancellationToken cancellationToken)
    {
        var chardev = Ringbuf(arguments, context);
        var data = Text(arguments, "data");
        byte[] bytes;
        try
        {
            bytes = Format(arguments).Decode(data);
        }
        catch (FormatException)
        {
            throw new QapiException("Invalid base64 data");
        }

        var accepted = await chardev.WriteAsync(bytes, InputSource.Named("qmp:" + context.Actor.User), cancellationToken);
        context.Record("write", chardev.Id, bytes.Length, chardev.Definition.AuditInput ? bytes : null, $"qmp, {accepted} accepted");
        return null;
    }

    private static Task<JsonNode?> RingbufRead(JsonObject arguments, QmpContext context, CancellationToken cancellationToken)
    {
        var chardev = Ringbuf(arguments, context);
        var size = arguments["size"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : throw new QapiException("Parameter 'size' is missing");
        if (size is < 0 or > int.MaxValue)
        {
            throw new QapiException("Parameter 'size' expects uint32");
        }

        var bytes = chardev.Read((int)Math.Min(size, context.MaxReadBytes));
        return Task.FromResult<JsonNode?>(Format(arguments).Encode(bytes));
    }

    private static Chardev Ringbuf(JsonObject arguments, QmpContext context)
    {
        var device = Text(arguments, "device");
        var chardev = context.Registry.TryGet(device, out var found) ? found : throw new QapiException($"Device '{device}' not found", "DeviceNotFound");
        return chardev.IsConsumable ? chardev : throw new QapiException($"{device} is not a ringbuf device");
    }

    private static DataFormat Format(JsonObject arguments) => arguments["format"] switch
    {
        null => DataFormat.utf8,
        JsonValue v when v.TryGetValue<string>(out var s) && s == "utf8" => DataFormat.utf8,
        JsonValue v when v.TryGetValue<string>(out var s) && s == "base64" => DataFormat.base64,
        var other => throw new QapiException($"Parameter 'format' does not accept value '{other.ToJsonString()}'"),
    };

    private static JsonObject PtyReturn(Chardev chardev) =>
        chardev.PtyPath is { } pty ? new JsonObject { ["pty"] = pty } : [];

    private static string Text(JsonObject arguments, string name) =>
        arguments[name] switch
        {
            null => throw new QapiException($"Parameter '{name}' is missing"),
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => throw new QapiException($"Invalid parameter type for '{name}', expected: string"),
        };

    private static JsonObject Object(JsonObject arguments, string name) =>
        arguments[name] switch
        {
            null => throw new QapiException($"Parameter '{name}' is missing"),
            JsonObject o => o,
            _ => throw new QapiException($"Invalid parameter type for '{name}', expected: object"),
        };

    /// <summary>QEMU's own words for the errors its users script against.</summary>
    private static string QemuWording(ChardevException ex) => ex.Kind switch
    {
        ChardevErrorKind.NotFound when ex.ChardevId is { } id => $"Chardev '{id}' not found",
        ChardevErrorKind.Conflict when ex.ChardevId is { } id => $"attempt to add duplicate property '{id}' to object (type 'container')",
        _ => ex.Message,
    };

    private static IResult Error(string errorClass, string desc, JsonNode? id) =>
        Answer(new JsonObject { ["error"] = new JsonObject { ["class"] = errorClass, ["desc"] = desc } }, id);

    private static IResult Answer(JsonObject answer, JsonNode? id)
    {
        if (id is not null)
        {
            answer["id"] = id;
        }

        return TypedResults.Json(answer);
    }

    private sealed record QmpContext(ChardevRegistry Registry, Cluster.IClusterNodes Nodes, JsonSerializerOptions Json, int MaxReadBytes, AuditLog Audit, AuditActor Actor)
    {
        public void Record(string action, string chardev, long? bytes = null, byte[]? data = null, string? detail = null) =>
            Audit.Record(Actor, action, chardev, bytes, data, detail);
    }
}
