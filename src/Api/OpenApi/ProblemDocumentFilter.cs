using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// Problem details as CharWeb writes them (<see cref="Problems.ChardevProblemHandler"/>,
/// <see cref="Problems.FrameworkProblems"/>, <see cref="Access.AccessProblems"/>): RFC 9457's
/// <c>type</c>, <c>title</c>, <c>status</c> and <c>detail</c> always, the <c>errors</c> map of field to
/// messages, and ASP.NET Core's <c>traceId</c>; <c>instance</c> never.
/// </summary>
internal sealed class ProblemDocumentFilter : IDocumentFilter
{
    public const string Name = "ProblemDetails";

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        if (document.Components?.Schemas is not { } schemas || !schemas.ContainsKey(Name))
        {
            return;
        }

        schemas[Name] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 9457 problem details: why the request was refused.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = Text("A stable URI of the kind of problem: `urn:charweb:problem:` and a name (`invalid-request`, `not-found`, `conflict`, `limit`, `open-failed`, `too-large`, `unsupported`, `unauthenticated`, `forbidden`, ...)."),
                ["title"] = Text("A short summary of the kind of problem."),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." },
                ["detail"] = Text("What went wrong with this request, for people."),
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "Each field that was refused (a JSON path such as `backend.size`, or `body`, `path`, `role`) and why, one message or more.",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
                ["traceId"] = Text("The request's trace id, as in the server's log."),
                ["requiredRole"] = Text("403 only: the role the operation needs."),
                ["login"] = Text("401 only, where OpenID Connect is configured: where a browser logs in."),
            },
            Required = new SortedSet<string>(["type", "title", "status", "detail", "errors", "traceId"], StringComparer.Ordinal),
        };
    }

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
}
