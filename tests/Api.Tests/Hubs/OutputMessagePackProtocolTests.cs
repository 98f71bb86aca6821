using System.Buffers;
using CharWeb.Api.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace CharWeb.Api.Tests.Hubs;

/// <summary>The hub's MessagePack protocol writes output stream items itself: the bytes must be the stock writer's, in one span.</summary>
public sealed class OutputMessagePackProtocolTests
{
    public static TheoryData<int, string> Items => new()
    {
        { 0, "1" },
        { 1, "2" },
        { 255, "31" },
        { 256, "1234567890123456789012345678901" },
        { 65535, "12345678901234567890123456789012" },
        { 65536, "7" },
        { 1 << 20, new string('9', 300) },
    };

    [Theory]
    [MemberData(nameof(Items))]
    public void AStreamItemOfBytesIsWrittenAsTheStockProtocolWritesIt(int length, string invocationId)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var message = new StreamItemMessage(invocationId, data);

        var stock = new ArrayBufferWriter<byte>();
        new MessagePackHubProtocol().WriteMessage(message, stock);
        var ours = new CountingWriter();
        new OutputMessagePackProtocol().WriteMessage(message, ours);

        Assert.Equal(stock.WrittenSpan.ToArray(), ours.Written.WrittenSpan.ToArray());
        Assert.Equal(1, ours.Spans);

        // And a client's parser reads it back as the same item.
        var input = new ReadOnlySequence<byte>(ours.Written.WrittenMemory);
        Assert.True(new MessagePackHubProtocol().TryParseMessage(ref input, new BytesBinder(), out var parsed));
        var item = Assert.IsType<StreamItemMessage>(parsed);
        Assert.Equal(invocationId, item.InvocationId);
        Assert.Equal(data, Assert.IsType<byte[]>(item.Item));
        Assert.True(input.IsEmpty);
    }

    [Fact]
    public void AFullDeviceReadFramedAsAStreamItemFitsA64KiBBuffer()
    {
        // A stream id of ten digits (SignalR's clients number their streams), and the most a WebSocket frame header takes
        // (ManagedWebSocket rents payload + 14) around the framed item: past 64 KiB, ArrayPool hands out 128 KiB
        // large-object arrays. A client that picks a much longer id only makes its own items take the slower buffers.
        var message = new StreamItemMessage(int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), new byte[Engine.ChardevBackend.ReadBytes]);
        var ours = new CountingWriter();
        new OutputMessagePackProtocol().WriteMessage(message, ours);

        Assert.True(ours.LargestHint <= 64 << 10, $"the item asked for a span of {ours.LargestHint} bytes");
        Assert.True(ours.Written.WrittenCount + 14 <= 64 << 10, $"the framed item is {ours.Written.WrittenCount + 14} bytes");
    }

    [Fact]
    public void OtherMessagesAreTheStockProtocols()
    {
        HubMessage[] messages =
        [
            new InvocationMessage("ChardevEvent", ["tty", new Dictionary<string, object?> { ["kind"] = "opened" }]),
            new StreamItemMessage("3", "not bytes"),
            CompletionMessage.WithError("4", "gone"),
            PingMessage.Instance,
        ];
        foreach (var message in messages)
        {
            var stock = new ArrayBufferWriter<byte>();
            new MessagePackHubProtocol().WriteMessage(message, stock);
            var ours = new ArrayBufferWriter<byte>();
            new OutputMessagePackProtocol().WriteMessage(message, ours);
            Assert.Equal(stock.WrittenSpan.ToArray(), ours.WrittenSpan.ToArray());
        }
    }

    /// <summary>Counts the spans asked for: one span means one pipe segment, so one WebSocket frame.</summary>
    private sealed class CountingWriter : IBufferWriter<byte>
    {
        public ArrayBufferWriter<byte> Written { get; } = new();

        public int Spans { get; private set; }

        public int LargestHint { get; private set; }

        public void Advance(int count) => Written.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Spans++;
            LargestHint = Math.Max(LargestHint, sizeHint);
            return Written.GetMemory(sizeHint);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Spans++;
            LargestHint = Math.Max(LargestHint, sizeHint);
            return Written.GetSpan(sizeHint);
        }
    }

    private sealed class BytesBinder : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [];

        public Type GetReturnType(string invocationId) => typeof(object);

        public Type GetStreamItemType(string streamId) => typeof(byte[]);
    }
}
