using System.Collections.Concurrent;
using CharWeb.Engine.Backends;
using CharWeb.Engine.Persistence;
using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>
/// Every chardev of this server: creates, changes and removes them, keeps the database in step,
/// and never leaves one half-created (QEMU's <c>chardev-add</c>, <c>-change</c>, <c>-remove</c>).
/// </summary>
public sealed partial class ChardevRegistry : IAsyncDisposable
{
    private readonly BackendRegistry backends;
    private readonly BackendContext context;
    private readonly ChardevDatabase database;
    private readonly ILogger<ChardevRegistry> logger;

    private readonly ConcurrentDictionary<string, Chardev> _chardevs = new(StringComparer.Ordinal);
    private readonly ClaimLedger _ledger;

    private readonly IChardevIdReservations ids;

    public ChardevRegistry(BackendRegistry backends, BackendContext context, ChardevDatabase database, ILogger<ChardevRegistry> logger, IChardevIdReservations? ids = null)
    {
        this.backends = backends;
        this.context = context;
        this.database = database;
        this.logger = logger;
        this.ids = ids ?? IChardevIdReservations.ThisServer;
        _ledger = new ClaimLedger(context.Limits);

        // Backends made of other chardevs (mux, hub) find their children here.
        context.Chardevs = this;
    }

    /// <summary>Every event of every chardev, plus created; handlers must not block.</summary>
    public event Action<ChardevEvent>? EventRaised;

    public BackendRegistry Backends => backends;

    /// <summary>What the chardevs removed so far had counted, for server totals that never go backwards.</summary>
    public RemovedChardevTotals Removed { get; } = new();

    /// <summary>How many chardevs there are, without building the list.</summary>
    public int Count => _chardevs.Count;

    /// <summary>Every chardev in no order, without copying or locking (a scrape walks this several times).</summary>
    public IEnumerable<Chardev> Unordered => _chardevs.Select(pair => pair.Value);

    public IReadOnlyList<Chardev> All => _chardevs.Values.OrderBy(c => c.Id, StringComparer.Ordinal).ToList();

    public Chardev Get(string id) => _chardevs.TryGetValue(id, out var chardev) ? chardev : throw ChardevException.NotFound(id);

    public bool TryGet(string id, out Chardev chardev) => _chardevs.TryGetValue(id, out chardev!);

    /// <summary>
    /// Brings back the stored chardevs and the ones declared in configuration. A chardev whose
    /// backend cannot open now stays, in state failed, so its definition is not lost.
    /// </summary>
    public async Task StartAsync(IEnumerable<ChardevDefinition> declared, CancellationToken cancellationToken)
    {
        await database.InitializeAsync(cancellationToken);
        var declaredIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var definition in declared)
        {
            var errors = ChardevValidator.Validate(definition, backends, context);
            if (errors.Count > 0)
            {
                throw new InvalidOperationException($"CharWeb:Chardevs: chardev '{definition.Id}' is invalid: {string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"))}");
            }

            if (!declaredIds.Add(definition.Id))
            {
                throw new InvalidOperationException($"CharWeb:Chardevs: chardev '{definition.Id}' is declared twice");
            }

            await RestoreAsync(definition, ChardevSource.Config, context.Time.GetUtcNow(), cancellationToken);
        }

        var (stored, unreadable) = await database.LoadAsync(cancellationToken);
        foreach (var row in unreadable)
        {
            LogUnreadable(row);
        }

        foreach (var row in ChildrenFirst(stored))
        {
            if (declaredIds.Contains(row.Definition.Id))
            {
                LogShadowed(row.Definition.Id);
                continue;
            }

            await RestoreAsync(row.Definition, ChardevSource.Api, row.CreatedAt, cancellationToken);
        }
    }

    /// <summary>
    /// The stored rows with every mux's and hub's children before it: a chardev hot-swapped into a
    /// mux of a younger one must find its children when it comes back.
    /// </summary>
    private static List<StoredChardev> ChildrenFirst(IReadOnlyList<StoredChardev> rows)
    {
        var byId = rows.ToDictionary(r => r.Definition.Id, StringComparer.Ordinal);
        var ordered = new List<StoredChardev>(rows.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        void Place(StoredChardev row)
        {
            // Marked before its children, so a stored cycle ends here (and is refused by validation).
            if (!placed.Add(row.Definition.Id))
            {
                return;
            }

            foreach (var child in (row.Definition.Backend as IChardevOfChardevs)?.Chardevs ?? [])
            {
                if (child is not null && byId.TryGetValue(child, out var childRow))
                {
                    Place(childRow);
                }
            }

            ordered.Add(row);
        }

        foreach (var row in rows)
        {
            Place(row);
        }

        return ordered;
    }

    /// <summary>Validates, opens and stores a new chardev; on any failure nothing is left behind.</summary>
    public async Task<Chardev> CreateAsync(ChardevDefinition definition, CancellationToken cancellationToken)
    {
        var errors = ChardevValidator.Validate(definition, backends, context);
        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors);
        }

        Take(definition);
        // Beyond this server (a cluster) the id is reserved after the local checks passed, so a local duplicate never touches another's reservation.
        try
        {
            await ids.ReserveAsync(definition.Id, cancellationToken);
        }
        catch
        {
            _ledger.Release(definition.Id);
            throw;
        }

        Chardev? chardev = null;
        try
        {
            chardev = Build(definition, ChardevSource.Api, context.Time.GetUtcNow());
            await chardev.OpenAsync(creating: true, cancellationToken);
            // Not cancellable: a row committed behind a cancelled call would outlive its chardev.
            await database.InsertAsync(chardev.Definition, chardev.CreatedAt, CancellationToken.None);
        }
        catch
        {
            if (chardev is not null)
            {
                await chardev.DisposeAsync();
            }

            _ledger.Release(definition.Id);
            await ids.ReleaseAsync(definition.Id, CancellationToken.None);
            throw;
        }

        Publish(chardev);
        LogCreated(chardev.Id, definition.Backend!.Type);
        Forward(new ChardevEvent(chardev.Id, ChardevEventKind.Created, context.Time.GetUtcNow()) { State = chardev.State });
        return chardev;
    }

    /// <summary>
    /// Hot-swaps the backend; consoles stay attached. If the new one fails, the old one stays. The
    /// new claims (files, children) are checked and taken in one step with the cycle check, so of
    /// two racing changes one wins and the other is refused.
    /// </summary>
    public async Task<Chardev> ChangeBackendAsync(string id, BackendOptions? options, CancellationToken cancellationToken)
    {
        var chardev = Get(id);
        var errors = ChardevValidator.ValidateBackend(options, backends, context, "");
        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors);
        }

        var changed = chardev.Definition with { Backend = options };
        // PUT's body is the backend: its errors name fields inside it, as validation does.
        var claims = ClaimsOf(changed).Select(c => c.Field.StartsWith("backend.", StringComparison.Ordinal) ? c with { Field = c.Field["backend.".Length..] } : c).ToList();
        _ledger.BeginChange(id, claims, BufferBytesOf(changed), BufferField(changed, ""));
        var committed = false;
        try
        {
            var kind = backends.Get(options!);
            await chardev.ChangeBackendAsync(
                options!,
                kind.Create(options!, context),
                // Once the new backend is open the change must be stored whatever the caller does next.
                changed => chardev.Source == ChardevSource.Api ? database.UpdateAsync(changed, CancellationToken.None) : Task.CompletedTask,
                cancellationToken);
            committed = true;
        }
        finally
        {
            _ledger.EndChange(id, committed);
        }

        return chardev;
    }

    /// <summary>What a mux or hub holds of a child chardev.</summary>
    internal static string ChildClaim(string id) => "chardev:" + id;

    /// <summary>Removes a chardev; its consoles are told and detached. One in use by a mux or hub is busy (409), as in QEMU.</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        var chardev = Get(id);
        _ledger.BeginRemove(id);
        try
        {
            // Also for configured chardevs: a stored row they shadowed would block the id for good.
            await database.DeleteAsync(id, cancellationToken);
        }
        catch
        {
            _ledger.CancelRemove(id);
            throw;
        }

        // The id is given back only once the chardev is gone, so a create of the same id waits its turn (409).
        _chardevs.TryRemove(new KeyValuePair<string, Chardev>(id, chardev));
        await chardev.DisposeAsync();
        Removed.Add(chardev);
        chardev.EventRaised -= Forward;
        _ledger.Release(id);
        await ids.ReleaseAsync(id, CancellationToken.None);
        LogRemoved(id);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var chardev in _chardevs.Values)
        {
            chardev.EventRaised -= Forward;
            await chardev.DisposeAsync();
        }

        _chardevs.Clear();
    }

    /// <summary>
    /// Brings one chardev back, checked against today's policy and limits first: one that no longer
    /// passes comes back failed, naming the rule, and is never opened.
    /// </summary>
    private async Task RestoreAsync(ChardevDefinition definition, ChardevSource source, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        var refusal = ChardevValidator.Validate(definition, backends, context) is { Count: > 0 } errors
            ? ChardevException.Invalid(errors)
            : null;
        if (refusal is null)
        {
            try
            {
                Take(definition);
            }
            catch (ChardevException ex)
            {
                refusal = ex;
            }
        }

        if (refusal is not null)
        {
            _ledger.TakeIdOnly(definition.Id);
            var reason = string.Join("; ", refusal.Errors.Select(e => $"{e.Field}: {e.Message}"));
            LogRefused(definition.Id, reason);
            Publish(Chardev.Refused(definition, source, createdAt, context, "refused by today's policy: " + reason));
            return;
        }

        var chardev = Build(definition, source, createdAt);
        await chardev.OpenAsync(creating: false, cancellationToken);
        Publish(chardev);
    }

    private Chardev Build(ChardevDefinition definition, ChardevSource source, DateTimeOffset createdAt)
    {
        var backend = backends.Get(definition.Backend!).Create(definition.Backend!, context);
        return new Chardev(definition, backend, source, createdAt, context);
    }

    private void Take(ChardevDefinition definition) =>
        _ledger.Take(definition.Id, ClaimsOf(definition), BufferBytesOf(definition), BufferField(definition, "backend."));

    private static long BufferBytesOf(ChardevDefinition definition) => definition.History + (definition.Backend?.BufferBytes ?? 0);

    private static string BufferField(ChardevDefinition definition, string prefix) =>
        definition.Backend?.BufferBytes > 0 ? prefix + "size" : "history";

    private IReadOnlyList<BackendClaim> ClaimsOf(ChardevDefinition definition)
    {
        var claims = backends.Get(definition.Backend!).Claims(definition.Backend!, context)
            .Select(c => c with { Field = "backend." + c.Field })
            .ToList();
        if (definition.Logfile is not null)
        {
            claims.Add(new BackendClaim("logfile", "file:" + context.Paths.FullPath(definition.Logfile)));
        }

        if (definition.Record)
        {
            // So no logfile or file chardev writes into a recording.
            claims.Add(new BackendClaim("record", "file:" + context.Paths.FullPath(AsciicastRecorder.RelativePath(definition.Id))));
        }

        if (definition.Backend is IChardevOfChardevs)
        {
            claims.Add(ChildChardevs.SelfClaim(definition.Id) with { Field = "backend.type" });
        }

        return claims;
    }

    private void Publish(Chardev chardev)
    {
        chardev.EventRaised += Forward;
        _chardevs[chardev.Id] = chardev;
    }

    private void Forward(ChardevEvent e)
    {
        foreach (var handler in EventRaised?.GetInvocationList().Cast<Action<ChardevEvent>>() ?? [])
        {
            try
            {
                handler(e);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(e.ChardevId, e.Kind, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Chardev {ChardevId} created ({BackendType})")]
    private partial void LogCreated(string chardevId, string backendType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chardev {ChardevId} removed")]
    private partial void LogRemoved(string chardevId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Chardev {ChardevId}: a {Kind} event handler failed")]
    private partial void LogHandlerFailed(string chardevId, ChardevEventKind kind, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A stored chardev could not be read and was skipped: {Row}")]
    private partial void LogUnreadable(string row);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chardev {ChardevId} is back failed, not opened: {Reason}")]
    private partial void LogRefused(string chardevId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chardev {ChardevId} is both stored and declared in configuration; the configuration wins")]
    private partial void LogShadowed(string chardevId);
}
