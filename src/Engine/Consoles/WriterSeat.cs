using System.Collections.Immutable;

namespace CharWeb.Engine.Consoles;

/// <summary>
/// conserver's one writer per console: the first console that may write holds the seat and the
/// others are spies; when the holder leaves, the seat passes to the longest-attached console that
/// may write (conserver's <c>FindWrite</c>). With <see cref="WriterPolicy.All"/> everyone types and
/// there is no seat. Not thread-safe: the chardev calls it under its own lock.
/// </summary>
internal sealed class WriterSeat(WriterPolicy policy)
{
    public ConsoleSession? Holder { get; private set; }

    public bool MayWrite(ConsoleSession session) => !session.ReadOnly && (policy == WriterPolicy.All || ReferenceEquals(Holder, session));

    /// <summary>A console joined; answers whether it took the empty seat.</summary>
    public bool Joined(ConsoleSession session)
    {
        if (policy == WriterPolicy.All || session.ReadOnly || Holder is not null)
        {
            return false;
        }

        Holder = session;
        return true;
    }

    /// <summary>A console left (<paramref name="remaining"/> in attach order); answers whether the seat moved.</summary>
    public bool Left(ConsoleSession session, ImmutableArray<ConsoleSession> remaining) =>
        ReferenceEquals(Holder, session) && PassOn(session, remaining);

    /// <summary>conserver's force-attach (<c>-f</c>): the seat moves to <paramref name="session"/>.</summary>
    public bool Take(ConsoleSession session)
    {
        if (policy == WriterPolicy.All)
        {
            throw new ChardevException(ChardevErrorKind.Unsupported, $"chardev '{session.ChardevId}' lets every operator console write (writers: all); there is no seat to take");
        }

        if (session.ReadOnly)
        {
            throw new ChardevException(ChardevErrorKind.Conflict, "this console is read-only and cannot hold the writer seat", [new FieldError("console", "is read-only")]);
        }

        if (ReferenceEquals(Holder, session))
        {
            return false;
        }

        Holder = session;
        return true;
    }

    /// <summary>The holder gives the seat up; it passes on as when a holder leaves.</summary>
    public bool Release(ConsoleSession session, ImmutableArray<ConsoleSession> attached) =>
        ReferenceEquals(Holder, session) && PassOn(session, attached);

    private bool PassOn(ConsoleSession leaving, ImmutableArray<ConsoleSession> attached)
    {
        Holder = attached.FirstOrDefault(c => !ReferenceEquals(c, leaving) && !c.ReadOnly);
        return true;
    }
}
