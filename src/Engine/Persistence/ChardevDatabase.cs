using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace CharWeb.Engine.Persistence;

/// <summary>A chardev definition as stored, with when it was created.</summary>
public sealed record StoredChardev(ChardevDefinition Definition, DateTimeOffset CreatedAt);

/// <summary>
/// Chardev definitions in an embedded SQLite file: saved on create, change and remove, all
/// read back at start. One row per chardev, the definition as JSON.
/// </summary>
public sealed class ChardevDatabase(string path, JsonSerializerOptions json)
{
    /// <summary>The database's file name inside the data folder.</summary>
    public const string FileName = "charweb.db";

    private readonly SqliteFile _file = new(path);

    public string Path => _file.Path;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        await ExecuteAsync(
            """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS chardevs (
                id TEXT PRIMARY KEY NOT NULL,
                definition TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            """,
            _ => { },
            cancellationToken);
    }

    /// <summary>Stores a new chardev. An id free in memory may still have a dead row (unreadable, or shadowed by configuration); the new one replaces it.</summary>
    public Task InsertAsync(ChardevDefinition definition, DateTimeOffset createdAt, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "INSERT OR REPLACE INTO chardevs (id, definition, created_at) VALUES ($id, $definition, $createdAt)",
            p =>
            {
                p.AddWithValue("$id", definition.Id);
                p.AddWithValue("$definition", JsonSerializer.Serialize(definition, json));
                p.AddWithValue("$createdAt", createdAt.ToString("O"));
            },
            cancellationToken);

    public Task UpdateAsync(ChardevDefinition definition, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE chardevs SET definition = $definition WHERE id = $id",
            p =>
            {
                p.AddWithValue("$id", definition.Id);
                p.AddWithValue("$definition", JsonSerializer.Serialize(definition, json));
            },
            cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM chardevs WHERE id = $id", p => p.AddWithValue("$id", id), cancellationToken);

    /// <summary>Every stored definition; a row that no longer parses is reported, not fatal.</summary>
    public async Task<(IReadOnlyList<StoredChardev> Chardevs, IReadOnlyList<string> Unreadable)> LoadAsync(CancellationToken cancellationToken)
    {
        var chardevs = new List<StoredChardev>();
        var unreadable = new List<string>();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, definition, created_at FROM chardevs ORDER BY created_at, id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            try
            {
                var definition = JsonSerializer.Deserialize<ChardevDefinition>(reader.GetString(1), json)!;
                chardevs.Add(new StoredChardev(definition, DateTimeOffset.Parse(reader.GetString(2), System.Globalization.CultureInfo.InvariantCulture)));
            }
            catch (JsonException ex)
            {
                unreadable.Add($"{id}: {ex.Message}");
            }
        }

        return (chardevs, unreadable);
    }

    /// <summary>For health checks: the database answers a query.</summary>
    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM chardevs";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private Task ExecuteAsync(string sql, Action<SqliteParameterCollection> bind, CancellationToken cancellationToken) =>
        _file.ExecuteAsync(sql, bind, cancellationToken);

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _file.OpenAsync(cancellationToken);
}
