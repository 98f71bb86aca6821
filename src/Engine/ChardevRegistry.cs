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
    private readonly Dictionary<string, IReadOnlyList<BackendClaim>> _reserved = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public ChardevRegistry(BackendRegistry backends, BackendContext context, ChardevDatabase database, ILogger<ChardevRegistry> logger)
    {
        this.backends = backends;
        this.context = context;
        this.database = database;
        this.logger = logger;

        // Backends made of other chardevs (mux, hub) find their children here.
        context.Chardevs = this;
    }

    /// <summary>Every event of every chardev, plus created; handlers must not block.</summary>
    public event Action<ChardevEvent>? EventRaised;

    public BackendRegistry Backends => backends;

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

        foreach (var row in stored)
        {
            if (declaredIds.Contains(row.Definition.Id))
            {
                LogShadowed(row.Definition.Id);
                continue;
            }

            await RestoreAsync(row.Definition, ChardevSource.Api, row.CreatedAt, cancellationToken);
        }
    }

    /// <summary>Validates, opens and stores a new chardev; on any failure nothing is left behind.</summary>
    public async Task<Chardev> CreateAsync(ChardevDefinition definition, CancellationToken cancellationToken)
    {
        var errors = ChardevValidator.Validate(definition, backends, context);
        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors);
        }

        Reserve(definition);
        Chardev? chardev = null;
        var stored = false;
        try
        {
            chardev = Build(definition, ChardevSource.Api, context.Time.GetUtcNow());
            await chardev.OpenAsync(keepOnFailure: false, cancellationToken);
            // Not cancellable: a row committed behind a cancelled call would outlive its chardev.
            await database.InsertAsync(chardev.Definition, chardev.CreatedAt, CancellationToken.None);
            stored = true;
        }
        catch
        {
            if (chardev is not null)
            {
                await chardev.DisposeAsync();
            }

            throw;
        }
        finally
        {
            lock (_lock)
            {
                if (stored)
                {
                    Publish(chardev!);
                }

                _reserved.Remove(definition.Id);
            }
        }

        LogCreated(chardev!.Id, definition.Backend!.Type);
        Forward(new ChardevEvent(chardev.Id, ChardevEventKind.Created, context.Time.GetUtcNow()) { State = chardev.State });
        return chardev;
    }

    /// <summary>Hot-swaps the backend; consoles stay attached. If the new one fails, the old one stays.</summary>
    public async Task<Chardev> ChangeBackendAsync(string id, BackendOptions? options, CancellationToken cancellationToken)
    {
        var chardev = Get(id);
        var errors = ChardevValidator.ValidateBackend(options, backends, context, "").Concat(ChildChardevs.ValidateChange(id, options, context)).ToList();
        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors);
        }

        lock (_lock)
        {
            CheckClaims(chardev.Definition with { Backend = options }, except: id);
            CheckNoCycle(id, chardev.Definition with { Backend = options });
        }

        var kind = backends.Get(options!);
        await chardev.ChangeBackendAsync(
            options!,
            kind.Create(options!, context),
            // Once the new backend is open the change must be stored whatever the caller does next.
            changed => chardev.Source == ChardevSource.Api ? database.UpdateAsync(changed, CancellationToken.None) : Task.CompletedTask,
            cancellationToken);
        return chardev;
    }

    /// <summary>What a mux or hub holds of a child chardev.</summary>
    internal static string ChildClaim(string id) => "chardev:" + id;

    /// <summary>Removes a chardev; its consoles are told and detached. One in use by a mux or hub is busy (409), as in QEMU.</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        var chardev = Get(id);
        lock (_lock)
        {
            var user = _chardevs.Values.FirstOrDefault(c => c.Id != id && ClaimsOf(c.Definition).Any(claim => claim.Resource == ChildClaim(id)));
            if (user is not null)
            {
                throw new ChardevException(ChardevErrorKind.Conflict, $"Chardev '{id}' is busy: chardev '{user.Id}' uses it", [new FieldError("id", $"is used by chardev '{user.Id}'; remove or change that one first")]) { ChardevId = id };
            }
        }

        // Also for configured chardevs: a stored row they shadowed would block the id for good.
        await database.DeleteAsync(id, cancellationToken);

        if (_chardevs.TryRemove(new KeyValuePair<string, Chardev>(id, chardev)))
        {
            await chardev.DisposeAsync();
            chardev.EventRaised -= Forward;
            LogRemoved(id);
        }
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

    private async Task RestoreAsync(ChardevDefinition definition, ChardevSource source, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        var chardev = Build(definition, source, createdAt);
        await chardev.OpenAsync(keepOnFailure: true, cancellationToken);
        Publish(chardev);
    }

    private Chardev Build(ChardevDefinition definition, ChardevSource source, DateTimeOffset createdAt)
    {
        var backend = backends.Get(definition.Backend!).Create(definition.Backend!, context);
        return new Chardev(definition, backend, source, createdAt, context);
    }

    private void Reserve(ChardevDefinition definition)
    {
        lock (_lock)
        {
            var id = definition.Id;
            if (_chardevs.ContainsKey(id) || _reserved.ContainsKey(id))
            {
                throw new ChardevException(ChardevErrorKind.Conflict, $"chardev '{id}' already exists", [new FieldError("id", $"'{id}' is already in use")]) { ChardevId = id };
            }

            _reserved.Add(id, CheckClaims(definition, except: null));
        }
    }

    /// <summary>Refuses a definition that would hold what another chardev holds (a file it writes, say). Call under the lock.</summary>
    private IReadOnlyList<BackendClaim> CheckClaims(ChardevDefinition definition, string? except)
    {
        var wanted = ClaimsOf(definition);
        var twice = wanted.GroupBy(c => c.Resource).Where(g => g.Count() > 1)
            .Select(g => new FieldError(g.Last().Field, $"is the same file as {g.First().Field}")).ToList();
        if (twice.Count > 0)
        {
            throw ChardevException.Invalid(twice);
        }

        var held = _chardevs.Values.Where(c => c.Id != except).Select(c => (c.Id, Claims: ClaimsOf(c.Definition)))
            .Concat(_reserved.Where(r => r.Key != except).Select(r => (Id: r.Key, Claims: r.Value)));
        var errors = (from claim in wanted
                      from other in held
                      where other.Claims.Any(c => c.Resource == claim.Resource)
                      select new FieldError(claim.Field, $"{claim.Resource} is already used by chardev '{other.Id}'")).ToList();
        if (errors.Count > 0)
        {
            throw new ChardevException(ChardevErrorKind.Conflict, string.Join("; ", errors.Select(e => e.Message)), errors);
        }

        return wanted;
    }

    /// <summary>A mux or hub may not contain itself, directly or through other muxes and hubs. Call under the lock.</summary>
    private void CheckNoCycle(string id, ChardevDefinition changed)
    {
        var pending = new Stack<(string Id, string Path)>(ChildrenOf(changed).Select(c => (c, $"{id} -> {c}")));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var next))
        {
            if (next.Id == id)
            {
                throw ChardevException.Invalid("chardevs", $"would make chardev '{id}' contain itself ({next.Path})");
            }

            if (seen.Add(next.Id) && _chardevs.TryGetValue(next.Id, out var child))
            {
                foreach (var grandchild in ChildrenOf(child.Definition))
                {
                    pending.Push((grandchild, $"{next.Path} -> {grandchild}"));
                }
            }
        }
    }

    private IEnumerable<string> ChildrenOf(ChardevDefinition definition) =>
        ClaimsOf(definition).Select(c => c.Resource).Where(r => r.StartsWith(ChildClaim(""), StringComparison.Ordinal)).Select(r => r[ChildClaim("").Length..]);

    private IReadOnlyList<BackendClaim> ClaimsOf(ChardevDefinition definition)
    {
        var claims = backends.Get(definition.Backend!).Claims(definition.Backend!, context)
            .Select(c => c with { Field = "backend." + c.Field })
            .ToList();
        if (definition.Logfile is not null)
        {
            claims.Add(new BackendClaim("logfile", "file:" + context.Paths.FullPath(definition.Logfile)));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chardev {ChardevId} is both stored and declared in configuration; the configuration wins")]
    private partial void LogShadowed(string chardevId);
}
