using CharWeb.Api.Access;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>
/// Every operation but the open ones (<c>/healthz</c>) needs credentials: <c>Authorization: Bearer</c> with
/// an API key or a token, or, where OpenID Connect is configured, the page's login cookie. Each says which
/// role it needs, so a generated client knows to send credentials; an open one says it needs none.
/// </summary>
internal sealed class SecurityOperationFilter(IOptions<AuthSettings> auth) : IOperationFilter
{
    public const string SchemeName = "bearer";
    public const string CookieSchemeName = "oidcCookie";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [];
            return;
        }

        operation.Security = Requirements(context.Document, auth.Value);
        var roles = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
        if (roles.Count > 0)
        {
            operation.Description = $"{operation.Description}\n\nNeeds the {string.Join(", ", roles)} role.".TrimStart();
        }

        // With the problem schema, a generated client raises its ProblemDetails type for these too.
        var problem = context.SchemaGenerator.GenerateSchema(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), context.SchemaRepository);
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", Problem("No or invalid credentials.", problem));
        operation.Responses.TryAdd("403", Problem("The caller's role does not allow this; the problem names the role needed.", problem));
    }

    /// <summary>Either credential will do: a bearer token, or the login cookie where there is one.</summary>
    public static List<OpenApiSecurityRequirement> Requirements(OpenApiDocument document, AuthSettings auth)
    {
        var requirements = new List<OpenApiSecurityRequirement> { new() { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] } };
        if (auth.Oidc.Enabled)
        {
            requirements.Add(new() { [new OpenApiSecuritySchemeReference(CookieSchemeName, document)] = [] });
        }

        return requirements;
    }

    private static OpenApiResponse Problem(string description, IOpenApiSchema schema) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = schema } },
    };
}
