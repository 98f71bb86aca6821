using CharWeb.Api.Problems;
using CharWeb.Engine;

namespace CharWeb.Api.Endpoints;

/// <summary>
/// A log as a file, with ASP.NET Core's own range processing (<c>Range</c>, <c>If-Range</c>, 206 with
/// <c>Content-Range</c>); a range that lies outside the file is its 416, with <c>Content-Range: bytes */LENGTH</c>,
/// answered as problem details naming the <c>Range</c> header rather than with an empty body.
/// </summary>
internal sealed class LogFileResult(LogSnapshot log, string contentType, string? fileName = null) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        await using (log)
        {
            var length = log.Length;
            var file = TypedResults.File(log, contentType, fileName ?? log.Name, lastModified: log.Modified, enableRangeProcessing: true);
            await file.ExecuteAsync(httpContext);
            var response = httpContext.Response;
            if (response.StatusCode != StatusCodes.Status416RangeNotSatisfiable || response.HasStarted)
            {
                return;
            }

            response.ContentLength = null;
            response.ContentType = null;
            response.Headers.ContentDisposition = default;
            var range = httpContext.Request.Headers.Range.ToString();
            var reason = $"'{range}' asks for no byte of the {length} bytes of {log.Name}";
            var problem = ChardevProblemHandler.Create(StatusCodes.Status416RangeNotSatisfiable, "range-not-satisfiable", "The range is not satisfiable", reason, [new FieldError("Range", reason)]);
            await httpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem });
        }
    }
}
