using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace CharWeb.Api.Hubs;

/// <summary>
/// SignalR's MessagePack protocol with one change on the output path: a stream item of output bytes is
/// written whole into one buffer of the connection's pipe. The stock writer serialises it into a buffer of
/// its own and copies that into 4 KiB pipe segments, and the WebSocket transport sends each segment as a
/// frame of its own (16 frames, each a Kestrel write and flush, for a 64 KiB item); this writes the same
/// bytes with one copy, and the transport sends one frame. Everything else is the stock protocol's.
/// </summary>
internal sealed class OutputMessagePackProtocol : IHubProtocol
{
    private readonly MessagePackHubProtocol _inner = new();

    public string Name => _inner.Name;

    public int Version => _inner.Version;

    public TransferFormat TransferFormat => _inner.TransferFormat;

    public bool IsVersionSupported(int version) => _inner.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
        _inner.TryParseMessage(ref input, binder, out message);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => _inner.GetMessageBytes(message);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
    {
        if (message is StreamItemMessage { Item: byte[] data, InvocationId: { } id, Headers: null or { Count: 0 } })
        {
            WriteStreamItem(id, data, output);
            return;
        }

        _inner.WriteMessage(message, output);
    }

    /// <summary>
    /// <c>[2, {}, invocationId, bin]</c> behind its length as a 7-bit varint, as the stock writer lays it out
    /// (the smallest MessagePack str and bin headers that fit), in one span of <paramref name="output"/>.
    /// </summary>
    internal static void WriteStreamItem(string invocationId, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        var idLength = Encoding.UTF8.GetByteCount(invocationId);
        var body = 3 + HeaderLength(idLength, 31, 0xff) + idLength + HeaderLength(data.Length, -1, 0xff) + data.Length;
        var prefix = VarIntLength(body);
        var span = output.GetSpan(prefix + body);
        var at = WriteVarInt(span, body);
        span[at++] = 0x94; // fixarray of 4
        span[at++] = HubProtocolConstants.StreamItemMessageType;
        span[at++] = 0x80; // headers: an empty fixmap
        at += WriteHeader(span[at..], idLength, fixed8: 0xa0, fixedMax: 31, h8: 0xd9, h16: 0xda, h32: 0xdb);
        at += Encoding.UTF8.GetBytes(invocationId, span[at..]);
        at += WriteHeader(span[at..], data.Length, fixed8: 0, fixedMax: -1, h8: 0xc4, h16: 0xc5, h32: 0xc6);
        data.CopyTo(span[at..]);
        output.Advance(prefix + body);
    }

    /// <summary>Bytes of a str or bin header for <paramref name="length"/>: 1 for a fix form up to <paramref name="fixedMax"/>, then 2, 3 or 5.</summary>
    private static int HeaderLength(int length, int fixedMax, int max8) =>
        length <= fixedMax ? 1 : length <= max8 ? 2 : length <= ushort.MaxValue ? 3 : 5;

    private static int WriteHeader(Span<byte> span, int length, byte fixed8, int fixedMax, byte h8, byte h16, byte h32)
    {
        if (length <= fixedMax)
        {
            span[0] = (byte)(fixed8 | length);
            return 1;
        }

        if (length <= byte.MaxValue)
        {
            span[0] = h8;
            span[1] = (byte)length;
            return 2;
        }

        if (length <= ushort.MaxValue)
        {
            span[0] = h16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            return 3;
        }

        span[0] = h32;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
        return 5;
    }

    private static int VarIntLength(int value)
    {
        var length = 1;
        while ((value >>= 7) > 0)
        {
            length++;
        }

        return length;
    }

    /// <summary>SignalR's binary length prefix: 7 bits a byte, least significant first, the high bit set while more follow.</summary>
    private static int WriteVarInt(Span<byte> span, int value)
    {
        var at = 0;
        do
        {
            var low = (byte)(value & 0x7f);
            value >>= 7;
            span[at++] = value > 0 ? (byte)(low | 0x80) : low;
        }
        while (value > 0);

        return at;
    }
}
