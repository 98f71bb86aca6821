using CharWeb.Engine.Backends;

namespace CharWeb.Engine.Tests.Backends;

/// <summary>What the telnet filter keeps of a peer's bytes: commands by their RFC 854 length, subnegotiations skipped.</summary>
public sealed class TelnetFilterTests
{
    private const byte Iac = 0xFF;
    private const byte Sb = 0xFA;
    private const byte Se = 0xF0;

    /// <summary>
    /// "a" IAC NOP "b" IAC SB TERMINAL-TYPE IS "xterm" IAC SE "c" IAC IAC "d" IAC BREAK "e"
    /// IAC DO ECHO "f" IAC AYT "g": every kind of command, data on both sides of each.
    /// </summary>
    private static readonly byte[] Mixed =
    [
        (byte)'a', Iac, 0xF1, (byte)'b', Iac, Sb, 24, 0, (byte)'x', (byte)'t', (byte)'e', (byte)'r', (byte)'m', Iac, Se,
        (byte)'c', Iac, Iac, (byte)'d', Iac, 0xF3, (byte)'e', Iac, 0xFD, 0x01, (byte)'f', Iac, 0xF6, (byte)'g',
    ];

    private static readonly byte[] MixedData = [(byte)'a', (byte)'b', (byte)'c', Iac, (byte)'d', (byte)'e', (byte)'f', (byte)'g'];

    [Theory]
    [InlineData(0xF0)] // SE without SB
    [InlineData(0xF1)] // NOP
    [InlineData(0xF2)] // Data Mark
    [InlineData(0xF4)] // Interrupt Process
    [InlineData(0xF5)] // Abort Output
    [InlineData(0xF6)] // Are You There
    [InlineData(0xF7)] // Erase Character
    [InlineData(0xF8)] // Erase Line
    [InlineData(0xF9)] // Go Ahead
    [InlineData(0xEF)] // EOR (RFC 885), and any other code below SE
    public void ATwoByteCommandTakesOnlyItsTwoBytes(byte command)
    {
        var (data, breaks) = Strip([(byte)'a', Iac, command, (byte)'b']);

        Assert.Equal("ab"u8.ToArray(), data);
        Assert.Equal(0, breaks);
    }

    [Theory]
    [InlineData(0xFB)] // WILL
    [InlineData(0xFC)] // WONT
    [InlineData(0xFD)] // DO
    [InlineData(0xFE)] // DONT
    public void AnOptionNegotiationTakesThreeBytesWhateverItsOption(byte verb)
    {
        // The option byte may itself be IAC (EXOPL) or look like a command: it is the third byte all the same.
        var (data, _) = Strip([(byte)'a', Iac, verb, 0x03, (byte)'b', Iac, verb, Iac, (byte)'c', Iac, verb, 0xF3, (byte)'d']);

        Assert.Equal("abcd"u8.ToArray(), data);
    }

    [Fact]
    public void DoubledIacIsOneLiteralFFAndIacBreakIsABreak()
    {
        var (data, breaks) = Strip([Iac, Iac, (byte)'a', Iac, 0xF3, (byte)'b', Iac, 0xF3]);

        Assert.Equal(new byte[] { Iac, (byte)'a', (byte)'b' }, data);
        Assert.Equal(2, breaks);
    }

    [Fact]
    public void ASubnegotiationIsSkippedUpToIacSeWithItsDoubledIacsAndBareSeBytes()
    {
        // Inside SB a 0xF0 not after IAC is data of the subnegotiation, and IAC IAC its escaped 0xFF.
        var (data, breaks) = Strip([(byte)'a', Iac, Sb, 24, Se, Iac, Iac, (byte)'z', Iac, Se, (byte)'b']);

        Assert.Equal("ab"u8.ToArray(), data);
        Assert.Equal(0, breaks);
    }

    [Fact]
    public void AnUnfinishedSubnegotiationEndsAtTheNextCommandRatherThanSwallowingTheSession()
    {
        // RFC 855 allows only IAC IAC and IAC SE inside SB; a peer that breaks the rule gets its command back.
        var (data, breaks) = Strip([(byte)'a', Iac, Sb, 24, 1, Iac, 0xF3, (byte)'b', Iac, Sb, 31, Iac, 0xF1, (byte)'c']);

        Assert.Equal("abc"u8.ToArray(), data);
        Assert.Equal(1, breaks);
    }

    [Fact]
    public void EveryCommandKindGivesTheSameDataWhereverTheReadsSplitTheStream()
    {
        for (var split = 0; split <= Mixed.Length; split++)
        {
            var filter = new TelnetFilter();
            var first = Feed(filter, Mixed[..split]);
            var second = Feed(filter, Mixed[split..]);

            Assert.True(MixedData.AsSpan().SequenceEqual([.. first.Data, .. second.Data]), $"split after byte {split}");
            Assert.Equal(1, first.Breaks + second.Breaks);
        }
    }

    [Fact]
    public void EveryCommandKindGivesTheSameDataReadOneByteAtATime()
    {
        var filter = new TelnetFilter();
        var data = new List<byte>();
        var breaks = 0;
        foreach (var b in Mixed)
        {
            var (kept, seen) = Feed(filter, [b]);
            data.AddRange(kept);
            breaks += seen;
        }

        Assert.Equal(MixedData, data);
        Assert.Equal(1, breaks);
    }

    private static (byte[] Data, int Breaks) Strip(byte[] bytes) => Feed(new TelnetFilter(), bytes);

    private static (byte[] Data, int Breaks) Feed(TelnetFilter filter, byte[] bytes)
    {
        var buffer = bytes.ToArray();
        var (length, breaks) = filter.Strip(buffer);
        return (buffer[..length], breaks);
    }
}
