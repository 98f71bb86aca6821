using System.ComponentModel;
using System.Reflection;
using CharWeb.Api.Access;
using CharWeb.Engine;

namespace CharWeb.Api.Endpoints;

/// <summary><c>GET /api/backends</c>: every kind from the registry, with its options.</summary>
internal static class BackendEndpoints
{
    public static void MapBackendEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/backends", (BackendRegistry backends) => TypedResults.Ok(backends.Kinds.Select(Describe).ToList()))
            .RequireRole(Role.Viewer)
            .WithName("ListBackends")
            .WithTags("Backends")
            .WithSummary("Backend kinds with their options (QEMU query-chardev-backends).");

    private static BackendKindResponse Describe(BackendKind kind)
    {
        var defaults = Activator.CreateInstance(kind.OptionsType);
        var options = kind.OptionsType
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => new BackendOptionResponse(
                System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(p.Name),
                TypeName(p.PropertyType),
                Required: p.PropertyType == typeof(string) && p.GetValue(defaults) is "",
                Default: p.GetCustomAttribute<DefaultValueAttribute>()?.Value))
            .ToList();
        return new BackendKindResponse(kind.Name, kind.Description, kind.Aliases, options, kind.CanPace);
    }

    private static string TypeName(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(string) => "string",
        var t when t == typeof(bool) => "boolean",
        var t when t == typeof(int) || t == typeof(long) => "integer",
        var t => t.Name,
    };
}
