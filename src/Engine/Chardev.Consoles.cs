using CharWeb.Engine.Consoles;
using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>A chardev's consoles coming and going, and its writer seat (conserver's one writer, the others watch).</summary>
public sealed partial class Chardev
{
    /// <summary>Attaches a console: it gets the history first, then every output after, in order.</summary>
    public ConsoleSession Attach(ConsoleOptions options)
    {
        var (session, count, seated) = _roster.Join(history => new ConsoleSession(this, options, _context.Time, history));
        LogConsoleAttached(Id, options.RemoteAddress, count);
        _output.Note(LogNotes.Attached(session));
        Raise(ChardevEventKind.Consoles, e => e with { Consoles = count });
        _roster.Welcome(session, seated);
        return session;
    }

    /// <summary>conserver's force attach: <paramref name="session"/> takes the writer seat and everyone is told.</summary>
    public void TakeWriter(ConsoleSession session) => _roster.Take(session);

    /// <summary>The seat holder gives the seat up; it passes to the next console that may write.</summary>
    public void ReleaseWriter(ConsoleSession session) => _roster.Release(session);

    internal void Detach(ConsoleSession session)
    {
        var (left, count, seatMoved) = _roster.Leave(session);
        if (!left)
        {
            return;
        }

        LogConsoleDetached(Id, session.RemoteAddress, count);
        _output.Note(LogNotes.Detached(session));
        Raise(ChardevEventKind.Consoles, e => e with { Consoles = count });
        if (seatMoved)
        {
            _roster.AnnounceWriter();
        }
    }

    internal bool MayWrite(ConsoleSession session) => _roster.MayWrite(session);
}
