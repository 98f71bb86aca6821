using System.Collections.Concurrent;
using CharWeb.Engine.Persistence;
using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>
/// Every chardev of this server: creates, changes and removes them, keeps the database in step,
/// and never leaves one half-created (QEMU's <c>chardev-add</c>, <c>-change</c>, <c>-remove</c>).
/// </summary>
public sealed partial class ChardevRegistry(
    BackendRegistry backends,
    BackendContext context,
    ChardevDatabase database,
    ILogger<ChardevRegistry> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Chardev> _chardevs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reserved = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Every event of every chardev, plus created; handlers must not block.</summary>
    public event Action<ChardevEvent>? EventRaised;

    public BackendRegistry Backends => backends;

    public BackendContext Context => context;

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

        Reserve(definition.Id);
        Chardev? chardev = null;
        try
        {
            chardev = Build(definition, ChardevSource.Api, context.Time.GetUtcNow());
            await chardev.OpenAsync(keepOnFailure: false, cancellationToken);
            await database.InsertAsync(chardev.Definition, chardev.CreatedAt, cancellationToken);
            Publish(chardev);
            LogCreated(chardev.Id, definition.Backend!.Type);
            RaiseCreated(chardev);
            return chardev;
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
                _reserved.Remove(definition.Id);
            }
        }
    }

    /// <summary>Hot-swaps the backend; consoles stay attached. If the new one fails, the old one stays.</summary>
    public async Task<Chardev> ChangeBackendAsync(string id, BackendOptions? options, CancellationToken cancellationToken)
    {
        var chardev = Get(id);
        var errors = ChardevValidator.ValidateBackend(options, backends, context, "");
        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors);
        }

        var kind = backends.Get(options!);
        await chardev.ChangeBackendAsync(options!, kind.Create(options!, context), cancellationToken);
        if (chardev.Source == ChardevSource.Api)
        {
            await database.UpdateAsync(chardev.Definition, cancellationToken);
        }

        return chardev;
    }

    /// <summary>Removes a chardev; its consoles are told and detached.</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        var chardev = Get(id);
        if (chardev.Source == ChardevSource.Api)
        {
            await database.DeleteAsync(id, cancellationToken);
        }

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

    private void Reserve(string id)
    {
        lock (_lock)
        {
            if (_chardevs.ContainsKey(id) || !_reserved.Add(id))
            {
                throw new ChardevException(ChardevErrorKind.Conflict, $"chardev '{id}' already exists", [new FieldError("id", $"'{id}' is already in use")]);
            }
        }
    }

    private void Publish(Chardev chardev)
    {
        chardev.EventRaised += Forward;
        _chardevs[chardev.Id] = chardev;
    }

    private void RaiseCreated(Chardev chardev) =>
        Forward(new ChardevEvent(chardev.Id, ChardevEventKind.Created, context.Time.GetUtcNow()) { State = chardev.State });

    private void Forward(ChardevEvent e) => EventRaised?.Invoke(e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chardev {ChardevId} created ({BackendType})")]
    private partial void LogCreated(string chardevId, string backendType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chardev {ChardevId} removed")]
    private partial void LogRemoved(string chardevId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A stored chardev could not be read and was skipped: {Row}")]
    private partial void LogUnreadable(string row);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chardev {ChardevId} is both stored and declared in configuration; the configuration wins")]
    private partial void LogShadowed(string chardevId);
}
