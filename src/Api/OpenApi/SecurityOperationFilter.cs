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

        // With the problem schema, a generated client raises its ProblemDetails type for these too.
        var problem = context.SchemaGenerator.GenerateSchema(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), context.SchemaRepository);
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", Problem("No or invalid credentials.", problem));
        operation.Responses.TryAdd("403", Problem("The caller's role does not allow this; the problem names the role needed.", problem));
    }

    private static OpenApiResponse Problem(string description, IOpenApiSchema schema) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = schema } },
    };
}
