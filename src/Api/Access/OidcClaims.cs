using System.Security.Claims;

namespace CharWeb.Api.Access;

/// <summary>
/// Turns what an identity provider says (a name claim, a groups claim) into CharWeb's caller: the
/// name, the groups, and the highest role any group maps to (<c>CharWeb:Auth:Oidc</c>).
/// </summary>
internal static class OidcClaims
{
    public static ClaimsPrincipal Normalize(ClaimsPrincipal principal, OidcSettings settings, string via, string authenticationType)
    {
        var name = new[] { settings.NameClaim, "preferred_username", "name", "email", "sub" }
            .Select(type => principal.FindFirst(type)?.Value)
            .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)) ?? "unknown";
        var groups = principal.FindAll(settings.GroupsClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
        return Identity.Create(name, RoleOf(groups, settings), groups, via, authenticationType);
    }

    public static Role? RoleOf(IReadOnlyCollection<string> groups, OidcSettings settings)
    {
        if (settings.AdminGroups.Any(groups.Contains))
        {
            return Role.Admin;
        }

        if (settings.OperatorGroups.Any(groups.Contains))
        {
            return Role.Operator;
        }

        return settings.ViewerGroups.Any(groups.Contains) ? Role.Viewer : Identity.Parse(settings.DefaultRole);
    }
}
