using System.Collections.Immutable;

namespace CharWeb.Engine.Consoles;

/// <summary>
/// The consoles of one chardev and its writer seat, as conserver keeps them: who watches, who may
/// type, and every console told when the seat moves. Joining and leaving go through the output
/// fan-out, so a console gets the history and then every chunk after it.
/// </summary>
internal sealed class ConsoleRoster(string chardevId, OutputFanout output, WriterPolicy writers, int maxConsoles, TimeProvider time, Action<ChardevEvent> toHandlers)
{
    private readonly Lock _lock = new();
    private readonly WriterSeat _seat = new(writers);
    private bool _closed;

    public ImmutableArray<ConsoleSession> Consoles => output.Consoles;

    /// <summary>Who holds the writer seat (null: nobody, or <c>writers: all</c>).</summary>
    public string? Writer
    {
        get
        {
            lock (_lock)
            {
                return _seat.Holder?.User;
            }
        }
    }

    /// <summary>Adds the console <paramref name="create"/> makes; answers how many there are now and whether it took the seat.</summary>
    public (ConsoleSession Session, int Count, bool Seated) Join(Func<byte[], ConsoleSession> create)
    {
        lock (_lock)
        {
            if (_closed)
            {
                throw ChardevException.Removed(chardevId);
            }

            if (output.Consoles.Length >= maxConsoles)
            {
                var message = $"chardev '{chardevId}' has {output.Consoles.Length} consoles, the most this server allows (CharWeb:Limits:MaxConsolesPerChardev)";
                throw new ChardevException(ChardevErrorKind.Limit, message, [new FieldError("id", message)]) { ChardevId = chardevId };
            }

            var session = output.Join(create);
            return (session, output.Consoles.Length, _seat.Joined(session));
        }
    }

    /// <summary>Tells a console that just joined who types: everyone, when it took the seat; itself, when it is a spy.</summary>
    public void Welcome(ConsoleSession session, bool seated)
    {
        if (seated)
        {
            AnnounceWriter();
        }
        else if (writers == WriterPolicy.One)
        {
            session.Notify(WriterEvent(session));
        }
    }

    /// <summary>conserver's force attach: <paramref name="session"/> takes the seat and everyone is told.</summary>
    public void Take(ConsoleSession session)
    {
        bool moved;
        ConsoleSession? bumped;
        lock (_lock)
        {
            if (_closed)
            {
                throw ChardevException.Removed(chardevId);
            }

            bumped = _seat.Holder;
            moved = output.Consoles.Contains(session) && _seat.Take(session);
        }

        if (moved)
        {
            AnnounceWriter(bumped);
        }
    }

    /// <summary>The holder gives the seat up; it passes to the next console that may write.</summary>
    public void Release(ConsoleSession session)
    {
        bool moved;
        lock (_lock)
        {
            moved = _seat.Release(session, output.Consoles);
        }

        if (moved)
        {
            AnnounceWriter();
        }
    }

    /// <summary>Takes a console out: whether it was there, how many remain, whether the seat moved (say so with <see cref="AnnounceWriter"/>).</summary>
    public (bool Left, int Count, bool SeatMoved) Leave(ConsoleSession session)
    {
        lock (_lock)
        {
            return output.Leave(session) ? (true, output.Consoles.Length, _seat.Left(session, output.Consoles)) : (false, output.Consoles.Length, false);
        }
    }

    public bool MayWrite(ConsoleSession session)
    {
        lock (_lock)
        {
            return _seat.MayWrite(session);
        }
    }

    /// <summary>No console joins any more; answers the ones there were.</summary>
    public ImmutableArray<ConsoleSession> Close()
    {
        lock (_lock)
        {
            _closed = true;
            return output.LeaveAll();
        }
    }

    public void Notify(ChardevEvent e)
    {
        foreach (var console in output.Consoles)
        {
            console.Notify(e);
        }
    }

    /// <summary>Every console hears who holds the seat now, each told whether it is itself; the log says so, naming whom a take bumped.</summary>
    public void AnnounceWriter(ConsoleSession? bumped = null)
    {
        foreach (var console in output.Consoles)
        {
            console.Notify(WriterEvent(console));
        }

        ConsoleSession? holder;
        lock (_lock)
        {
            holder = _seat.Holder;
        }

        output.Note(LogNotes.Writer(holder, bumped));

        toHandlers(WriterEvent(null));
    }

    private ChardevEvent WriterEvent(ConsoleSession? reader)
    {
        ConsoleSession? holder;
        lock (_lock)
        {
            holder = _seat.Holder;
        }

        return new ChardevEvent(chardevId, ChardevEventKind.Writer, time.GetUtcNow())
        {
            Name = holder?.User,
            Self = reader is null ? null : ReferenceEquals(reader, holder),
        };
    }
}
