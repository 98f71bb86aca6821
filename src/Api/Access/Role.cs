using System.Security.Claims;

namespace CharWeb.Api.Access;

/// <summary>What a caller may do, lowest first; each role may do all that the ones below it may.</summary>
public enum Role
{
    Viewer = 1,
    Operator = 2,
    Admin = 3,
}

/// <summary>The claims CharWeb puts on a caller, and how it reads them back.</summary>
public static class Identity
{
    public const string RoleClaim = "charweb:role";
    public const string ViaClaim = "charweb:via";
    public const string NameClaim = "name";
    public const string GroupClaim = "groups";

    public static string Name(Role role) => role.ToString().ToLowerInvariant();

    public static Role? Parse(string? text) =>
        Enum.TryParse<Role>(text, ignoreCase: true, out var role) && Enum.IsDefined(role) && !int.TryParse(text, out _) ? role : null;

    public static ClaimsPrincipal Create(string name, Role? role, IEnumerable<string> groups, string via, string authenticationType)
    {
        var claims = new List<Claim> { new(NameClaim, name), new(ViaClaim, via) };
        if (role is { } r)
        {
            claims.Add(new Claim(RoleClaim, Name(r)));
        }

        claims.AddRange(groups.Select(g => new Claim(GroupClaim, g)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, NameClaim, RoleClaim));
    }

    public static string UserName(this ClaimsPrincipal user) => user.FindFirst(NameClaim)?.Value ?? "anonymous";

    public static Role? Role(this ClaimsPrincipal user) => Parse(user.FindFirst(RoleClaim)?.Value);

    public static string Via(this ClaimsPrincipal user) => user.FindFirst(ViaClaim)?.Value ?? "none";

    public static IReadOnlyList<string> Groups(this ClaimsPrincipal user) =>
        user.FindAll(GroupClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
}
