namespace CharWeb.Engine;

/// <summary>
/// What every chardev holds: its id, the files, ports and child chardevs it claims, and the bytes
/// of its buffers. Each check-and-take is one step under one lock, and each lookup is by key, so
/// creating the 10,000th chardev costs what the first did and no race can share a file, exceed a
/// limit or link muxes into a cycle.
/// </summary>
internal sealed class ClaimLedger(ChardevLimits limits)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _holders = new(StringComparer.Ordinal);
    private long _bufferBytes;

    /// <summary>Takes <paramref name="id"/> with its claims and buffers, or throws saying which rule refuses it.</summary>
    public void Take(string id, IReadOnlyList<BackendClaim> claims, long bufferBytes, string bufferField)
    {
        lock (_lock)
        {
            if (_entries.ContainsKey(id))
            {
                throw new ChardevException(ChardevErrorKind.Conflict, $"chardev '{id}' already exists", [new FieldError("id", $"'{id}' is already in use")]) { ChardevId = id };
            }

            if (_entries.Count >= limits.MaxChardevs)
            {
                throw Limit("id", $"this server holds at most {limits.MaxChardevs} chardevs (CharWeb:Limits:MaxChardevs)");
            }

            CheckBuffers(bufferBytes, 0, bufferField);
            CheckClaims(id, claims);
            _entries.Add(id, new Entry(claims, bufferBytes));
            Hold(id, claims);
            _bufferBytes += bufferBytes;
        }
    }

    /// <summary>Takes only the id, for a stored chardev that today's rules refuse: it stays listed, failed, holding nothing.</summary>
    public void TakeIdOnly(string id)
    {
        lock (_lock)
        {
            _entries.TryAdd(id, new Entry([], 0));
        }
    }

    /// <summary>Gives back everything <paramref name="id"/> holds.</summary>
    public void Release(string id)
    {
        lock (_lock)
        {
            if (_entries.Remove(id, out var entry))
            {
                Unhold(id, entry.Claims);
                Unhold(id, entry.Pending?.Claims ?? []);
                _bufferBytes -= entry.BufferBytes + (entry.Pending?.BufferBytes ?? 0);
            }
        }
    }

    /// <summary>
    /// Starts removing <paramref name="id"/> unless a mux or hub uses it (QEMU: busy). Checked and
    /// marked in one step: from here no parent can take it as a child, no change can start, and its
    /// id stays taken (a create of the same id is a conflict) until <see cref="Release"/>.
    /// </summary>
    public void BeginRemove(string id)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var entry) || entry.Removing)
            {
                throw ChardevException.NotFound(id);
            }

            if (_holders.TryGetValue(ChardevRegistry.ChildClaim(id), out var user) && user != id)
            {
                throw new ChardevException(ChardevErrorKind.Conflict, $"Chardev '{id}' is busy: chardev '{user}' uses it", [new FieldError("id", $"is used by chardev '{user}'; remove or change that one first")]) { ChardevId = id };
            }

            _entries[id] = entry with { Removing = true };
        }
    }

    /// <summary>A removal that failed (its row could not be deleted): the chardev stays as it was.</summary>
    public void CancelRemove(string id)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(id, out var entry))
            {
                _entries[id] = entry with { Removing = false };
            }
        }
    }

    /// <summary>
    /// Starts a change of <paramref name="id"/>'s backend: the new claims and buffers are taken at
    /// once, next to the old ones, until <see cref="EndChange"/>. Only one change of a chardev runs
    /// at a time; a second one is refused (409).
    /// </summary>
    public void BeginChange(string id, IReadOnlyList<BackendClaim> claims, long bufferBytes, string bufferField)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var entry) || entry.Removing)
            {
                throw ChardevException.NotFound(id);
            }

            if (entry.Pending is not null)
            {
                throw new ChardevException(ChardevErrorKind.Conflict, $"chardev '{id}' is being changed by another request", [new FieldError("backend", $"another change of '{id}' is in progress; try again when it is done")]) { ChardevId = id };
            }

            var fresh = claims.Where(c => !_holders.TryGetValue(c.Resource, out var holder) || holder != id).ToList();
            CheckBuffers(bufferBytes, entry.BufferBytes, bufferField);
            CheckTwice(claims);
            CheckClaims(id, fresh);
            CheckNoCycle(id, claims);
            _entries[id] = entry with { Pending = new Entry(fresh, Math.Max(0, bufferBytes - entry.BufferBytes)) { Claims = fresh, Final = claims, FinalBytes = bufferBytes } };
            Hold(id, fresh);
            _bufferBytes += Math.Max(0, bufferBytes - entry.BufferBytes);
        }
    }

    /// <summary>Ends a change: committed, the new claims replace the old; otherwise the old ones stay as they were.</summary>
    public void EndChange(string id, bool committed)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var entry) || entry.Pending is not { } pending)
            {
                return;
            }

            _bufferBytes -= pending.BufferBytes;
            if (!committed)
            {
                Unhold(id, pending.Claims);
                _entries[id] = entry with { Pending = null };
                return;
            }

            Unhold(id, entry.Claims.Where(c => !pending.Final!.Any(f => f.Resource == c.Resource)));
            _bufferBytes += pending.FinalBytes - entry.BufferBytes;
            _entries[id] = new Entry(pending.Final!, pending.FinalBytes);
        }
    }

    private static ChardevException Limit(string field, string message) => new(ChardevErrorKind.Limit, message, [new FieldError(field, message)]);

    private void CheckBuffers(long wanted, long held, string field)
    {
        var total = _bufferBytes - held + wanted;
        if (wanted > held && total > limits.MaxBufferBytes)
        {
            throw Limit(field, $"would bring the buffers of all chardevs to {total} bytes, over the {limits.MaxBufferBytes} this server allows (CharWeb:Limits:MaxBufferBytes; {_bufferBytes} in use)");
        }
    }

    /// <summary>One chardev may not claim one thing twice (its log and its file output, say).</summary>
    private static void CheckTwice(IReadOnlyList<BackendClaim> claims)
    {
        var twice = claims.GroupBy(c => c.Resource).Where(g => g.Count() > 1)
            .Select(g => new FieldError(g.Last().Field, $"is the same file as {g.First().Field}")).ToList();
        if (twice.Count > 0)
        {
            throw ChardevException.Invalid(twice);
        }
    }

    private void CheckClaims(string id, IReadOnlyList<BackendClaim> claims)
    {
        CheckTwice(claims);
        var errors = new List<FieldError>();
        var rules = new List<FieldError>();
        foreach (var claim in claims)
        {
            if (_holders.TryGetValue(claim.Resource, out var holder) && holder != id)
            {
                errors.Add(new FieldError(claim.Field, $"{claim.Resource} is already used by chardev '{holder}'"));
            }
            else if (ChildOf(claim) is { } child && (!_entries.TryGetValue(child, out var taken) || taken.Removing))
            {
                errors.Add(new FieldError(claim.Field, $"no chardev is named '{child}'"));
            }
            else if (claim.Excludes is { } excluded && _holders.TryGetValue(excluded.Resource, out var other) && other != id)
            {
                rules.Add(new FieldError(claim.Field, $"{excluded.Reason}; chardev '{other}' stands in the way"));
            }
        }

        if (rules.Count > 0)
        {
            throw ChardevException.Invalid(rules);
        }

        if (errors.Count > 0)
        {
            throw new ChardevException(ChardevErrorKind.Conflict, string.Join("; ", errors.Select(e => e.Message)), errors);
        }
    }

    /// <summary>A mux or hub may not contain itself, directly or through other muxes and hubs, counting changes still under way.</summary>
    private void CheckNoCycle(string id, IEnumerable<BackendClaim> claims)
    {
        var pending = new Stack<(string Id, string Path)>(claims.Select(ChildOf).OfType<string>().Select(c => (c, $"{id} -> {c}")));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var next))
        {
            if (next.Id == id)
            {
                throw ChardevException.Invalid("chardevs", $"would make chardev '{id}' contain itself ({next.Path})");
            }

            if (seen.Add(next.Id) && _entries.TryGetValue(next.Id, out var child))
            {
                foreach (var grandchild in child.Claims.Concat(child.Pending?.Claims ?? []).Select(ChildOf).OfType<string>())
                {
                    pending.Push((grandchild, $"{next.Path} -> {grandchild}"));
                }
            }
        }
    }

    private static string? ChildOf(BackendClaim claim) =>
        claim.Resource.StartsWith(ChardevRegistry.ChildClaim(""), StringComparison.Ordinal) ? claim.Resource[ChardevRegistry.ChildClaim("").Length..] : null;

    private void Hold(string id, IEnumerable<BackendClaim> claims)
    {
        foreach (var claim in claims)
        {
            _holders[claim.Resource] = id;
        }
    }

    private void Unhold(string id, IEnumerable<BackendClaim> claims)
    {
        foreach (var claim in claims)
        {
            if (_holders.TryGetValue(claim.Resource, out var holder) && holder == id)
            {
                _holders.Remove(claim.Resource);
            }
        }
    }

    private sealed record Entry(IReadOnlyList<BackendClaim> Claims, long BufferBytes)
    {
        public Entry? Pending { get; init; }

        public IReadOnlyList<BackendClaim>? Final { get; init; }

        public long FinalBytes { get; init; }

        public bool Removing { get; init; }
    }
}
