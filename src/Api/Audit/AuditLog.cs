using System.Globalization;
using System.Threading.Channels;
using CharWeb.Engine.Persistence;
using Microsoft.Data.Sqlite;

namespace CharWeb.Api.Audit;

/// <summary>One audited action.</summary>
public sealed record AuditEntry(
    long Id, DateTimeOffset Time, string Action, string User, string Via, string? Remote, string? Chardev, long? Bytes, string? Data, string? Detail);

/// <summary>Who did it, and from where.</summary>
public sealed record AuditActor(string User, string Via, string? Remote)
{
    /// <summary>As a chardev's log names who did something, conserver's <c>user@host</c>, and how (<c>rest</c>, <c>qmp</c>, <c>console</c>).</summary>
    public string InLog(string how) => $"{(Remote is null ? User : $"{User}@{Remote}")} ({how})";
}

/// <summary>
/// Who attached, typed, broke, took the seat, created, changed and removed what, kept in the
/// SQLite database. Recording never waits: entries go through a bounded queue to one writer that
/// stores them in batches, and what a full queue cannot take is counted, never blocking a console.
/// </summary>
public sealed partial class AuditLog : IAsyncDisposable
{
    public const int MaxQueued = 65536;
    private const int MaxBatch = 1024;

    private readonly Channel<AuditEntry> _queue;
    private readonly SqliteFile _file;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditLog> _logger;
    private Task _writer = Task.CompletedTask;
    private long _dropped;
    private long _stored;

    public AuditLog(string databasePath, TimeProvider time, ILogger<AuditLog> logger)
    {
        _file = new SqliteFile(databasePath);
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<AuditEntry>(
            new BoundedChannelOptions(MaxQueued) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>Entries a full queue could not take.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Entries written to the database so far.</summary>
    public long Stored => Interlocked.Read(ref _stored);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time TEXT NOT NULL,
                action TEXT NOT NULL,
                user TEXT NOT NULL,
                via TEXT NOT NULL,
                remote TEXT,
                chardev TEXT,
                bytes INTEGER,
                data TEXT,
                detail TEXT
            );
            CREATE INDEX IF NOT EXISTS audit_chardev ON audit (chardev, id);
            """;
        await command.ExecuteNonQueryAsync(cancellationToken);
        _writer = WriteLoopAsync();
    }

    /// <summary>Queues an entry; never waits. <paramref name="data"/> is kept (base64) only where the chardev audits its input.</summary>
    public void Record(AuditActor actor, string action, string? chardev, long? bytes = null, ReadOnlySpan<byte> data = default, string? detail = null) =>
        _queue.Writer.TryWrite(new AuditEntry(
            0, _time.GetUtcNow(), action, actor.User, actor.Via, actor.Remote, chardev, bytes, data.IsEmpty ? null : Convert.ToBase64String(data), detail));

    /// <summary>Entries after <paramref name="after"/> (an id), oldest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(string? chardev, DateTimeOffset? since, long after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, time, action, user, via, remote, chardev, bytes, data, detail FROM audit
            WHERE id > $after AND ($chardev IS NULL OR chardev = $chardev) AND ($since IS NULL OR time >= $since)
            ORDER BY id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$chardev", (object?)chardev ?? DBNull.Value);
        command.Parameters.AddWithValue("$since", since is { } s ? Stamp(s) : DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        var entries = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry(
                reader.GetInt64(0),
                DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return entries;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    /// <summary>UTC with a fixed width, so that text order is time order in SQLite.</summary>
    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private async Task WriteLoopAsync()
    {
        var batch = new List<AuditEntry>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }

            try
            {
                await StoreAsync(batch);
                Interlocked.Add(ref _stored, batch.Count);
            }
            catch (SqliteException ex)
            {
                Interlocked.Add(ref _dropped, batch.Count);
                LogStoreFailed(batch.Count, ex.Message);
            }

            batch.Clear();
        }
    }

    private async Task StoreAsync(List<AuditEntry> batch)
    {
        await using var connection = await OpenAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO audit (time, action, user, via, remote, chardev, bytes, data, detail)
            VALUES ($time, $action, $user, $via, $remote, $chardev, $bytes, $data, $detail)
            """;
        var p = command.Parameters;
        foreach (var name in new[] { "$time", "$action", "$user", "$via", "$remote", "$chardev", "$bytes", "$data", "$detail" })
        {
            p.Add(new SqliteParameter { ParameterName = name });
        }

        foreach (var e in batch)
        {
            p["$time"].Value = Stamp(e.Time);
            p["$action"].Value = e.Action;
            p["$user"].Value = e.User;
            p["$via"].Value = e.Via;
            p["$remote"].Value = (object?)e.Remote ?? DBNull.Value;
            p["$chardev"].Value = (object?)e.Chardev ?? DBNull.Value;
            p["$bytes"].Value = (object?)e.Bytes ?? DBNull.Value;
            p["$data"].Value = (object?)e.Data ?? DBNull.Value;
            p["$detail"].Value = (object?)e.Detail ?? DBNull.Value;
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _file.OpenAsync(cancellationToken);
}
