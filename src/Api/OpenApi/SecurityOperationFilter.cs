using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// Every operation but the open ones (<c>/healthz</c>) needs <c>Authorization: Bearer</c>, an API key
/// or a token, and says which role it needs, so a generated client knows to send credentials.
/// </summary>
internal sealed class SecurityOperationFilter : IOperationFilter
{
    public const string SchemeName = "bearer";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }

        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
        var roles = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
        if (roles.Count > 0)
        {
            operation.Description = $"{operation.Description}\n\nNeeds the {string.Join(", ", roles)} role.".TrimStart();
        }

        operation.Responses ??= [];
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No or invalid credentials (problem details)." });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The caller's role does not allow this (problem details naming the role needed)." });
    }
}
