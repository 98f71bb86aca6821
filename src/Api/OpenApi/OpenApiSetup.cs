using System.Text.Json.Nodes;
using CharWeb.Api.Access;
using CharWeb.Api.Endpoints;
using CharWeb.Engine;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CharWeb.Api.OpenApi;

/// <summary>Swashbuckle at <c>/swagger/v1/swagger.json</c> and Swagger UI at <c>/swagger</c>, in every environment.</summary>
internal static class OpenApiSetup
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddCharWebOpenApi(this IServiceCollection services, BackendRegistry backends)
    {
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "CharWeb",
                Version = "v1",
                Description = "A web console server for character devices: QEMU's chardev layer, for browsers and automation.",
            });
            o.AddSecurityDefinition(SecurityOperationFilter.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key (CharWeb:Auth:ApiKeys, or POST /api/keys) or a JWT from the configured OpenID Connect provider. A caller on this machine needs none while CharWeb:Auth:AnonymousLoopback is on.",
            });
            o.OperationFilter<SecurityOperationFilter>();
            o.UseOneOfForPolymorphism();
            o.SelectSubTypesUsing(type => type == typeof(BackendOptions) ? backends.Kinds.Select(k => k.OptionsType) : []);
            o.SelectDiscriminatorNameUsing(type => type == typeof(BackendOptions) ? "type" : null);
            o.SelectDiscriminatorValueUsing(type => backends.Kinds.FirstOrDefault(k => k.OptionsType == type)?.Name);

            // QAPI JSON is free-form where QEMU's is: any value, or an object of any members; never .NET's JsonNode.
            o.MapType<JsonNode>(() => new OpenApiSchema { Description = "Any JSON value." });
            o.MapType<JsonObject>(() => FreeForm());
            // Annotations first: the union's `type` that comes after has a default and is still required.
            o.SchemaFilter<AnnotationSchemaFilter>();
            o.SchemaFilter<BackendUnionSchemaFilter>(backends);
            o.SchemaFilter<NullableReferenceSchemaFilter>();

            // In this order: the unions first, then every field of a response-only schema required (the server
            // writes them all), then the schemas written by hand, which say their own required fields.
            o.DocumentFilter<BackendUnionDocumentFilter>(backends);
            o.DocumentFilter<SocketAddressDocumentFilter>();
            o.DocumentFilter<ResponseFieldsDocumentFilter>();
            o.DocumentFilter<ProblemDocumentFilter>();
            o.DocumentFilter<QmpDocumentFilter>();
            o.DocumentFilter<SecurityDocumentFilter>();
            o.SupportNonNullableReferenceTypes();
            foreach (var assembly in new[] { typeof(OpenApiSetup).Assembly, typeof(BackendOptions).Assembly })
            {
                var xml = Path.Combine(AppContext.BaseDirectory, assembly.GetName().Name + ".xml");
                if (File.Exists(xml))
                {
                    o.IncludeXmlComments(xml);
                }
            }
        });

        // The page's login cookie is a credential only where OpenID Connect is configured.
        services.AddOptions<SwaggerGenOptions>().Configure<IOptions<AuthSettings>>((o, auth) =>
        {
            if (auth.Value.Oidc.Enabled)
            {
                o.AddSecurityDefinition(SecurityOperationFilter.CookieSchemeName, new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Cookie,
                    Name = AccessSetup.CookieName,
                    Description = $"The browser page's OpenID Connect login (GET {AccessSetup.LoginPath}): the same user and role as the provider's token. Only same-origin requests (or CharWeb:Auth:AllowedOrigins) may change state with it.",
                });
            }
        });
        services.AddSingleton<BackendCatalog>();
        return services;
    }

    public static WebApplication UseCharWebOpenApi(this WebApplication app)
    {
        // Relative, so the document names the server it was fetched from (and a generated client's default stays neutral).
        app.UseSwagger(o => o.PreSerializeFilters.Add((document, request) =>
            document.Servers = [new OpenApiServer { Url = request.PathBase.HasValue ? request.PathBase.Value : "/", Description = "This CharWeb server." }]));
        app.UseSwaggerUI(o => o.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "CharWeb v1"));
        return app;
    }

    /// <summary>
    /// An object of any members. The writer emits <c>additionalProperties: true</c> as nothing, which some
    /// generators read as "no members"; <c>{}</c> (any value) says the same and every generator reads it.
    /// </summary>
    internal static OpenApiSchema FreeForm(string? description = null) =>
        new() { Type = JsonSchemaType.Object, AdditionalProperties = new OpenApiSchema(), Description = description };

    /// <summary>For the schema filter: the kinds by options type.</summary>
    internal static BackendKind? KindOf(this BackendRegistry backends, Type type) =>
        backends.Kinds.FirstOrDefault(k => k.OptionsType == type);
}
