namespace CharWeb.Engine.Backends;

/// <summary>
/// The telnet handling of QEMU's <c>char-socket.c</c>: the negotiation sent on connect, telnet
/// commands stripped from what the peer sends, and 0xFF doubled in what is sent. Commands are
/// taken by their RFC 854 length: IAC IAC is a literal 0xFF, IAC BREAK a break, IAC WILL/WONT/DO/DONT
/// and its option three bytes, IAC SB up to IAC SE skipped (RFC 855), every other command two bytes.
/// QEMU's plain telnet mode takes every other command as three bytes and lets a subnegotiation's
/// payload through; here that would eat a key after IAC NOP and print a client's terminal type.
/// </summary>
internal sealed class TelnetFilter
{
    public const byte Iac = 0xFF;
    public const byte Break = 0xF3;
    private const byte Se = 0xF0;
    private const byte Sb = 0xFA;
    private const byte Will = 0xFB;

    /// <summary>IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC WILL BINARY, IAC DO BINARY.</summary>
    public static readonly byte[] Negotiation = [0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03, 0xFF, 0xFB, 0x00, 0xFF, 0xFD, 0x00];

    // Kept between reads: a command may be split across two of them.
    private State _state = State.Data;

    private enum State
    {
        Data,
        Command,
        Option,
        Subnegotiation,
        SubnegotiationIac,
    }

    /// <summary>Strips telnet commands in place; answers the data length and how many breaks were seen.</summary>
    public (int Length, int Breaks) Strip(Span<byte> buffer)
    {
        var kept = 0;
        var breaks = 0;
        foreach (var b in buffer)
        {
            switch (_state)
            {
                case State.Data when b == Iac:
                    _state = State.Command;
                    break;
                case State.Data:
                    buffer[kept++] = b;
                    break;
                case State.Command:
                    _state = Command(b, buffer, ref kept, ref breaks);
                    break;
                case State.Option:
                    _state = State.Data;
                    break;
                case State.Subnegotiation:
                    _state = b == Iac ? State.SubnegotiationIac : State.Subnegotiation;
                    break;
                case State.SubnegotiationIac when b == Se:
                    _state = State.Data;
                    break;
                case State.SubnegotiationIac when b == Iac:
                    _state = State.Subnegotiation;
                    break;
                default:
                    // Only IAC IAC and IAC SE belong inside SB (RFC 855): a peer that sends another
                    // command has left the subnegotiation, and its data must not be swallowed with it.
                    _state = Command(b, buffer, ref kept, ref breaks);
                    break;
            }
        }

        return (kept, breaks);
    }

    /// <summary>The byte after IAC: answers the state it leads to.</summary>
    private static State Command(byte b, Span<byte> buffer, ref int kept, ref int breaks)
    {
        switch (b)
        {
            case Iac:
                buffer[kept++] = b;
                return State.Data;
            case Break:
                breaks++;
                return State.Data;
            case Sb:
                return State.Subnegotiation;
            case >= Will:
                return State.Option;
            default:
                return State.Data;
        }
    }

    /// <summary>Data as it must travel to a telnet peer: every 0xFF doubled.</summary>
    public static ReadOnlyMemory<byte> Escape(ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        var count = span.Count(Iac);
        if (count == 0)
        {
            return data;
        }

        var escaped = new byte[span.Length + count];
        var i = 0;
        foreach (var b in span)
        {
            escaped[i++] = b;
            if (b == Iac)
            {
                escaped[i++] = Iac;
            }
        }

        return escaped;
    }
}
