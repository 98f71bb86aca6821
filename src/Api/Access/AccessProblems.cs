using CharWeb.Api.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Access;

/// <summary>
/// A refused request is problem details like every other error: 401 says what credentials to send
/// (with <c>WWW-Authenticate</c>), 403 names the role the route needs and the role the caller has.
/// </summary>
internal sealed class AccessProblems(IProblemDetailsService problems, IOptions<AuthSettings> settings) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            await context.ChallengeAsync();
            var presented = Credentials.Presented(context) || context.Request.Cookies.ContainsKey(AccessSetup.CookieName);
            var forwarded = context.Request.Headers.ContainsKey(Cluster.SignedIdentity.Header);
            var problem = ChardevProblemHandler.Create(
                StatusCodes.Status401Unauthorized,
                "unauthenticated",
                "Credentials are needed",
                forwarded
                    ? $"the forwarded identity ({Cluster.SignedIdentity.Header}) is refused: {(await context.AuthenticateAsync()).Failure?.Message ?? "not valid"}"
                    : presented
                    ? "the credentials sent are not valid (unknown, revoked or expired key or token, or an ended login)"
                    : "this server needs credentials: send Authorization: Bearer <API key or token>" + (settings.Value.Oidc.Enabled ? ", or log in at /auth/login" : ""),
                [forwarded ? new Engine.FieldError(Cluster.SignedIdentity.Header, "is not valid") : new Engine.FieldError("authorization", presented ? "is not valid" : "is missing")]);
            if (settings.Value.Oidc.Enabled)
            {
                problem.Extensions["login"] = AccessSetup.LoginPath;
            }

            await WriteAsync(context, problem);
            return;
        }

        if (authorizeResult.Forbidden)
        {
            var needed = policy.Requirements.OfType<RoleRequirement>().Select(r => r.Role).DefaultIfEmpty(Role.Viewer).Max();
            var denied = AccessRules.Denied(context.User, needed, $"for {context.Request.Method} {context.Request.Path}", context.User.Role());
            await WriteAsync(context, Forbidden(denied));
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    public static ProblemDetails Forbidden(AccessDeniedException denied)
    {
        var problem = ChardevProblemHandler.Create(StatusCodes.Status403Forbidden, "forbidden", "The caller's role does not allow this", denied.Message, [new Engine.FieldError("role", $"{Identity.Name(denied.Needed)} is needed")]);
        problem.Extensions["requiredRole"] = Identity.Name(denied.Needed);
        return problem;
    }

    private async Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status!.Value;
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}
