using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using CharWeb.Engine;
using CharWeb.Engine.Persistence;
using Microsoft.Data.Sqlite;

namespace CharWeb.Api.Access;

/// <summary>Where a key comes from: declared in configuration (fixed), or made by an admin (kept in SQLite).</summary>
public enum ApiKeySource
{
    Config,
    Api,
}

/// <summary>An API key as the server knows it: never the key itself, only its SHA-256.</summary>
public sealed record ApiKey(string Name, Role Role, IReadOnlyList<string> Groups, ApiKeySource Source, DateTimeOffset? CreatedAt, string? CreatedBy);

/// <summary>
/// API keys: those of <c>CharWeb:Auth:ApiKeys</c> and those an admin makes, stored hashed in the
/// chardev database. A key is looked up by its hash, so the server never holds one it could leak.
/// </summary>
public sealed class ApiKeyStore
{
    public const string NamePattern = "^[A-Za-z][A-Za-z0-9._-]{0,63}$";
    private const string Prefix = "cwk_";

    private readonly ConcurrentDictionary<string, ApiKey> _byHash = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly SqliteFile _file;
    private IReadOnlyDictionary<string, ApiKey> _elsewhere = new Dictionary<string, ApiKey>(StringComparer.Ordinal);

    public ApiKeyStore(string databasePath, IEnumerable<DeclaredApiKey> declared)
    {
        _file = new SqliteFile(databasePath);
        foreach (var key in declared)
        {
            var role = Identity.Parse(key.Role) ?? throw new InvalidOperationException($"CharWeb:Auth:ApiKeys: key '{key.Name}' has role '{key.Role}'; it must be viewer, operator or admin");
            if (All.Any(k => k.Name == key.Name) || !_byHash.TryAdd(key.Sha256.ToLowerInvariant(), new ApiKey(key.Name, role, key.Groups, ApiKeySource.Config, null, null)))
            {
                throw new InvalidOperationException($"CharWeb:Auth:ApiKeys: key '{key.Name}' is declared twice (by name or by hash)");
            }
        }
    }

    public IReadOnlyList<ApiKey> All => _byHash.Values.OrderBy(k => k.Name, StringComparer.Ordinal).ToList();

    /// <summary>The keys made through this node's API, by hash: what a cluster shares with the other nodes.</summary>
    public IReadOnlyDictionary<string, ApiKey> Made => _byHash.Where(p => p.Value.Source == ApiKeySource.Api).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>A key was made or revoked here.</summary>
    public event Action? Changed;

    /// <summary>In a cluster: the keys the other nodes made (by hash), accepted here too; replaces the ones accepted before.</summary>
    public void AcceptElsewhere(IReadOnlyDictionary<string, ApiKey> keys) => Volatile.Write(ref _elsewhere, keys);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The key a bearer token is, if it is one.</summary>
    public ApiKey? Find(string token) =>
        token.Length is > 0 and <= 512 && Hash(token) is var hash && (_byHash.TryGetValue(hash, out var key) || Volatile.Read(ref _elsewhere).TryGetValue(hash, out key)) ? key : null;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE IF NOT EXISTS api_keys (
                    name TEXT PRIMARY KEY NOT NULL,
                    role TEXT NOT NULL,
                    sha256 TEXT NOT NULL UNIQUE,
                    created_at TEXT NOT NULL,
                    created_by TEXT NOT NULL
                );
                """;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT name, role, sha256, created_at, created_by FROM api_keys";
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            // A configured key of the same name wins; the stored one waits until the configuration lets it go.
            if (Identity.Parse(reader.GetString(1)) is { } role && All.All(k => k.Name != name))
            {
                _byHash.TryAdd(reader.GetString(2), new ApiKey(name, role, [], ApiKeySource.Api, DateTimeOffset.Parse(reader.GetString(3), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(4)));
            }
        }
    }

    /// <summary>Makes a key; answers it once, since only its hash is kept.</summary>
    public async Task<(ApiKey Key, string Secret)> CreateAsync(string? name, string? role, string createdBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        if (name is null || !System.Text.RegularExpressions.Regex.IsMatch(name, NamePattern))
        {
            errors.Add(new FieldError("name", "must start with a letter, then letters, digits, '.', '_' or '-', at most 64 characters"));
        }

        var parsed = Identity.Parse(role);
        if (parsed is null)
        {
            errors.Add(new FieldError("role", "must be one of: viewer, operator, admin"));
        }

        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors);
        }

        var secret = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey(name!, parsed!.Value, [], ApiKeySource.Api, now, createdBy);
        var hash = Hash(secret);
        lock (_lock)
        {
            // Claimed before the insert, so two racing creates of one name cannot both succeed.
            if (All.Any(k => k.Name == name) || !_pending.Add(key.Name))
            {
                throw new ChardevException(ChardevErrorKind.Conflict, $"an API key named '{name}' already exists", [new FieldError("name", $"'{name}' is already in use")]);
            }
        }

        try
        {
            await ExecuteAsync(
                "INSERT INTO api_keys (name, role, sha256, created_at, created_by) VALUES ($name, $role, $sha256, $createdAt, $createdBy)",
                p =>
                {
                    p.AddWithValue("$name", key.Name);
                    p.AddWithValue("$role", Identity.Name(key.Role));
                    p.AddWithValue("$sha256", hash);
                    p.AddWithValue("$createdAt", now.ToString("O"));
                    p.AddWithValue("$createdBy", createdBy);
                },
                CancellationToken.None);
            _byHash[hash] = key;
        }
        finally
        {
            lock (_lock)
            {
                _pending.Remove(key.Name);
            }
        }

        Changed?.Invoke();
        return (key, secret);
    }

    /// <summary>Revokes a key made through the API; it stops working at once.</summary>
    public async Task<ApiKey> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var (hash, key) = _byHash.FirstOrDefault(p => p.Value.Name == name);
        if (key is null)
        {
            throw new ChardevException(ChardevErrorKind.NotFound, $"no API key is named '{name}'", [new FieldError("name", $"no API key is named '{name}'")]);
        }

        if (key.Source == ApiKeySource.Config)
        {
            throw new ChardevException(ChardevErrorKind.Conflict, $"API key '{name}' is declared in CharWeb:Auth:ApiKeys; remove it there", [new FieldError("name", "is declared in configuration")]);
        }

        await ExecuteAsync("DELETE FROM api_keys WHERE name = $name", p => p.AddWithValue("$name", name), cancellationToken);
        _byHash.TryRemove(hash, out _);
        Changed?.Invoke();
        return key;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private Task ExecuteAsync(string sql, Action<SqliteParameterCollection> bind, CancellationToken cancellationToken) =>
        _file.ExecuteAsync(sql, bind, cancellationToken);

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _file.OpenAsync(cancellationToken);
}
