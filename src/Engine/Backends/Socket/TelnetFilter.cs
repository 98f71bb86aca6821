namespace CharWeb.Engine.Backends;

/// <summary>
/// The telnet handling of QEMU's <c>char-socket.c</c>: the negotiation sent on connect, IAC
/// sequences stripped from what the peer sends (IAC IAC is a literal 0xFF, IAC BREAK a break,
/// other commands are taken as three bytes), and 0xFF doubled in what is sent.
/// </summary>
internal sealed class TelnetFilter
{
    public const byte Iac = 0xFF;
    public const byte Break = 0xF3;

    /// <summary>IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC WILL BINARY, IAC DO BINARY.</summary>
    public static readonly byte[] Negotiation = [0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03, 0xFF, 0xFB, 0x00, 0xFF, 0xFD, 0x00];

    // 1: data; 2: after IAC; 3: inside a three-byte command.
    private int _state = 1;

    /// <summary>Strips telnet commands in place; answers the data length and how many breaks were seen.</summary>
    public (int Length, int Breaks) Strip(Span<byte> buffer)
    {
        var kept = 0;
        var breaks = 0;
        foreach (var b in buffer)
        {
            switch (_state)
            {
                case 1 when b == Iac:
                    _state = 2;
                    break;
                case 1:
                    buffer[kept++] = b;
                    break;
                case 2 when b == Iac:
                    buffer[kept++] = b;
                    _state = 1;
                    break;
                case 2 when b == Break:
                    breaks++;
                    _state = 1;
                    break;
                case 2:
                    _state = 3;
                    break;
                default:
                    _state = 1;
                    break;
            }
        }

        return (kept, breaks);
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
