using System.Text.Json;
using System.Text.RegularExpressions;
using CharWeb.Engine;
using CharWeb.Engine.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CharWeb.Api.Problems;

/// <summary>
/// Every refused request becomes RFC 9457 problem details with a stable <c>type</c> and an
/// <c>errors</c> map naming each field and its reason.
/// </summary>
internal sealed partial class ChardevProblemHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public const string TypePrefix = "urn:charweb:problem:";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ChardevException e => FromChardev(e),
            Access.AccessDeniedException e => Access.AccessProblems.Forbidden(e),
            BadHttpRequestException e => FromBadRequest(e),
            Cluster.ClusterException e => Create(e.Status, e.Slug, e.Title, e.Message, [e.Error]),
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails FromChardev(ChardevException e)
    {
        var (status, slug, title) = e.Kind switch
        {
            ChardevErrorKind.Invalid => (StatusCodes.Status400BadRequest, "invalid-request", "The request is invalid"),
            // A missing log of a chardev that exists names its own field.
            ChardevErrorKind.NotFound => (StatusCodes.Status404NotFound, "not-found", e.Errors.All(error => error.Field == "id") ? "No such chardev" : "Not found"),
            ChardevErrorKind.Conflict => (StatusCodes.Status409Conflict, "conflict", "The chardev is in a state that does not allow this"),
            ChardevErrorKind.OpenFailed => (StatusCodes.Status422UnprocessableEntity, "open-failed", "The backend could not be opened"),
            ChardevErrorKind.TooLarge => (StatusCodes.Status413PayloadTooLarge, "too-large", "The payload is too large"),
            ChardevErrorKind.Unsupported => (StatusCodes.Status409Conflict, "unsupported", "The chardev cannot do this"),
            ChardevErrorKind.Limit => (StatusCodes.Status409Conflict, "limit", "A limit of this server is reached"),
            _ => (StatusCodes.Status400BadRequest, "invalid-request", "The request is invalid"),
        };
        return Create(status, slug, title, e.Message, e.Errors);
    }

    private static ProblemDetails FromBadRequest(BadHttpRequestException e)
    {
        if (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Create(e.StatusCode, "too-large", "The payload is too large", e.Message, [new FieldError("body", e.Message)]);
        }

        if (e.InnerException is JsonException json)
        {
            var field = JsonErrors.FieldOf(json);
            var message = JsonErrors.MessageOf(json);
            return Create(StatusCodes.Status400BadRequest, "invalid-request", "The request body is not valid JSON for this operation",
                field.Length == 0 ? message : $"{field}: {message}", [new FieldError(field.Length == 0 ? "body" : field, message)]);
        }

        // Minimal APIs say which parameter failed: 'Failed to bind parameter "int? size" from "abc".'
        var parameter = ParameterName().Match(e.Message);
        var name = parameter.Success ? parameter.Groups["name"].Value : "body";
        var reason = parameter.Success && ParameterValue().Match(e.Message) is { Success: true } value
            ? $"'{value.Groups["value"].Value}' is not a valid value"
            : e.Message;
        return Create(e.StatusCode, "invalid-request", "The request is invalid", $"{name}: {reason}", [new FieldError(name, reason)]);
    }

    internal static ProblemDetails Create(int status, string slug, string title, string detail, IReadOnlyList<FieldError> errors)
    {
        var problem = new ProblemDetails { Status = status, Type = TypePrefix + slug, Title = title, Detail = detail };
        problem.Extensions["errors"] = errors
            .GroupBy(error => error.Field)
            .ToDictionary(g => g.Key, g => g.Select(error => error.Message).ToArray());
        return problem;
    }

    [GeneratedRegex("parameter \"(?:[^\"]* )?(?<name>[A-Za-z_][A-Za-z0-9_]*)\"")]
    private static partial Regex ParameterName();

    [GeneratedRegex("from \"(?<value>[^\"]*)\"")]
    private static partial Regex ParameterValue();
}
