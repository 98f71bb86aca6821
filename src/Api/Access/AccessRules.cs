using System.Security.Claims;
using CharWeb.Engine;

namespace CharWeb.Api.Access;

/// <summary>A caller lacks the role an operation needs.</summary>
public sealed class AccessDeniedException(Role needed, string message) : Exception(message)
{
    public Role Needed { get; } = needed;
}

/// <summary>
/// What a caller may do on one chardev: the caller's role, narrowed by the chardev's own
/// <c>access</c> lists (conserver's <c>ro</c>/<c>rw</c>). Admins are never narrowed.
/// </summary>
public static class AccessRules
{
    /// <summary>The caller's role on <paramref name="chardev"/>; null: the caller may not even see it.</summary>
    public static Role? RoleOn(this ClaimsPrincipal user, Chardev chardev) => user.RoleOn(chardev.Definition.Access);

    /// <summary>The caller's role on a chardev with these <c>access</c> lists (one of another node, as the directory lists it).</summary>
    public static Role? RoleOn(this ClaimsPrincipal user, ChardevAccess? lists)
    {
        if (user.Role() is not { } role)
        {
            return null;
        }

        if (role == Role.Admin || lists is not { } access)
        {
            return role;
        }

        var name = user.UserName();
        var groups = user.Groups().ToHashSet(StringComparer.Ordinal);
        if (!access.MayView(name, groups))
        {
            return null;
        }

        return role >= Role.Operator && access.MayOperate(name, groups) ? Role.Operator : Role.Viewer;
    }

    public static bool MaySee(this ClaimsPrincipal user, Chardev chardev) => user.RoleOn(chardev) is not null;

    /// <summary>
    /// The chardev, if the caller has <paramref name="needed"/> on it. One the caller may not see is
    /// "not found", as if it did not exist, so names of others' consoles do not leak.
    /// </summary>
    public static Chardev Require(this ClaimsPrincipal user, Chardev chardev, Role needed)
    {
        var role = user.RoleOn(chardev) ?? throw ChardevException.NotFound(chardev.Id);
        return role >= needed ? chardev : throw Denied(user, needed, $"on chardev '{chardev.Id}'", role);
    }

    public static Chardev Require(this ClaimsPrincipal user, ChardevRegistry registry, string id, Role needed) =>
        user.Require(registry.TryGet(id, out var chardev) ? chardev : throw ChardevException.NotFound(id), needed);

    public static AccessDeniedException Denied(ClaimsPrincipal user, Role needed, string where, Role? has) =>
        new(needed, $"this needs the {Identity.Name(needed)} role {where}; {user.UserName()} (via {user.Via()}) has {(has is { } r ? Identity.Name(r) : "no role")}");
}
