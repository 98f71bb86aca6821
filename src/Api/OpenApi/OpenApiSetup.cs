using CharWeb.Engine;
using Microsoft.OpenApi;

namespace CharWeb.Api.OpenApi;

/// <summary>Swashbuckle at <c>/swagger/v1/swagger.json</c> and Swagger UI at <c>/swagger</c>, in every environment.</summary>
internal static class OpenApiSetup
{
    public static IServiceCollection AddCharWebOpenApi(this IServiceCollection services, BackendRegistry backends) =>
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
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
            o.SchemaFilter<BackendUnionSchemaFilter>(backends);
            o.DocumentFilter<BackendUnionDocumentFilter>(backends);
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

    public static WebApplication UseCharWebOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o => o.SwaggerEndpoint("/swagger/v1/swagger.json", "CharWeb v1"));
        return app;
    }

    /// <summary>For the schema filter: the kinds by options type.</summary>
    internal static BackendKind? KindOf(this BackendRegistry backends, Type type) =>
        backends.Kinds.FirstOrDefault(k => k.OptionsType == type);
}
