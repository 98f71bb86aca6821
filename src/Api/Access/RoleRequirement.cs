using Microsoft.AspNetCore.Authorization;

namespace CharWeb.Api.Access;

/// <summary>A route needs at least this role (policies <c>viewer</c>, <c>operator</c>, <c>admin</c>).</summary>
public sealed class RoleRequirement(Role role) : IAuthorizationRequirement
{
    public Role Role { get; } = role;

    public static string Policy(Role role) => Identity.Name(role);
}

/// <summary>Puts a role policy on a route (or group), so that the route table says who may call what.</summary>
public static class RoleRouting
{
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, Role role)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(RoleRequirement.Policy(role));
}
