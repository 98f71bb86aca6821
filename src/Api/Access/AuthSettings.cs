using System.ComponentModel.DataAnnotations;

namespace CharWeb.Api.Access;

/// <summary>The <c>CharWeb:Auth</c> section: who may use this server, and from where.</summary>
public sealed class AuthSettings
{
    public const string Section = "CharWeb:Auth";

    /// <summary>
    /// A caller on this machine with no credentials is <c>admin</c>, so the README's run command just
    /// works. Never for a request that came through a proxy (it carries X-Forwarded-For or Forwarded).
    /// </summary>
    public bool AnonymousLoopback { get; set; } = true;

    /// <summary>API keys declared in configuration, by the SHA-256 of the key (never the key itself).</summary>
    public List<DeclaredApiKey> ApiKeys { get; set; } = [];

    /// <summary>Origins besides the server's own whose pages may drive it (a dashboard on another host).</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>OpenID Connect login for the page and JWT bearer tokens for automation; off while <c>Authority</c> is empty.</summary>
    public OidcSettings Oidc { get; set; } = new();
}

/// <summary>One API key of <c>CharWeb:Auth:ApiKeys</c>.</summary>
public sealed class DeclaredApiKey
{
    [Required]
    [RegularExpression(ApiKeyStore.NamePattern)]
    public string Name { get; set; } = "";

    /// <summary><c>viewer</c>, <c>operator</c> or <c>admin</c>.</summary>
    [Required]
    public string Role { get; set; } = "";

    /// <summary>Hex SHA-256 of the key: <c>printf %s "$KEY" | sha256sum</c>.</summary>
    [Required]
    [RegularExpression("^[0-9a-fA-F]{64}$", ErrorMessage = "Sha256 must be 64 hex digits (the SHA-256 of the key)")]
    public string Sha256 { get; set; } = "";

    /// <summary>Groups this key's caller is in, for chardev <c>access</c> lists (<c>@group</c>).</summary>
    public List<string> Groups { get; set; } = [];
}

/// <summary><c>CharWeb:Auth:Oidc</c>: an OpenID Connect provider (Keycloak, Authentik, Entra ID, Dex...).</summary>
public sealed class OidcSettings
{
    /// <summary>The issuer URL; empty turns OpenID Connect and JWT bearer off.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    /// <summary>The <c>aud</c> that bearer tokens must carry; default the client id.</summary>
    public string? Audience { get; set; }

    /// <summary>Scopes asked for at login besides <c>openid</c> and <c>profile</c>.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The claim that lists a user's groups.</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>The claim that names a user.</summary>
    public string NameClaim { get; set; } = "preferred_username";

    /// <summary>Groups whose members are admins, operators and viewers; the highest match wins.</summary>
    public List<string> AdminGroups { get; set; } = [];

    public List<string> OperatorGroups { get; set; } = [];

    public List<string> ViewerGroups { get; set; } = [];

    /// <summary>The role of a user in none of the groups above; empty: no role (only <c>/api/me</c> answers).</summary>
    public string? DefaultRole { get; set; }

    /// <summary>Metadata over plain http is refused unless this is false (a provider on loopback in a lab).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
