using Microsoft.AspNetCore.Http.Features;

namespace CharWeb.Api.Problems;

/// <summary>
/// Problems that ASP.NET Core writes by itself (body too large, wrong media type, no such route or
/// method) get the same stable CharWeb <c>type</c> and an <c>errors</c> map as our own.
/// </summary>
internal static class FrameworkProblems
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("errors") || problem.Status is not { } status)
        {
            return;
        }

        var (slug, field, reason) = status switch
        {
            StatusCodes.Status413PayloadTooLarge => ("too-large", "body", $"is larger than the {MaxBody(context.HttpContext)} bytes this server accepts"),
            StatusCodes.Status415UnsupportedMediaType => ("unsupported-media-type", "body", "must be JSON with Content-Type: application/json"),
            StatusCodes.Status404NotFound => ("not-found", "path", $"no route matches {context.HttpContext.Request.Path}"),
            StatusCodes.Status405MethodNotAllowed => ("method-not-allowed", "method", $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}"),
            >= 500 => ("server-error", "server", "the server failed; see its log for the trace id"),
            _ => ("invalid-request", "request", problem.Title ?? "is invalid"),
        };
        problem.Type = ChardevProblemHandler.TypePrefix + slug;
        problem.Detail ??= $"{field} {reason}";
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [reason] };
    }

    private static string MaxBody(HttpContext context) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "configured";
}
