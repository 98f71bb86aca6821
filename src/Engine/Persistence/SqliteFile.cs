using Microsoft.Data.Sqlite;

namespace CharWeb.Engine.Persistence;

/// <summary>The one SQLite file of a server, as its stores (chardevs, keys, audit) open it: a connection per call, no pool to outlive the file.</summary>
public sealed class SqliteFile(string path)
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();

    public string Path { get; } = path;

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // SQLite's own busy wait (sleeps of 1 ms and up): without it Microsoft.Data.Sqlite retries a
        // lock held by another store's write (the audit's, say) after a fixed 150 ms sleep.
        await using var wait = connection.CreateCommand();
        wait.CommandText = "PRAGMA busy_timeout = 10000";
        await wait.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    public async Task ExecuteAsync(string sql, Action<SqliteParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command.Parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
