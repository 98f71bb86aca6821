namespace CharWeb.Engine.Tests;

public sealed class ByteRingTests
{
    [Fact]
    public void KeepsTheNewestBytesWhenWritesWrapAround()
    {
        var ring = new ByteRing(8);
        ring.Write("abcdef"u8);
        ring.Write("ghij"u8);

        Assert.Equal("cdefghij"u8.ToArray(), ring.ToArray());
    }

    [Fact]
    public void ReadConsumesOldestFirstAndPeekDoesNot()
    {
        var ring = new ByteRing(4);
        ring.Write("abcdef"u8);
        var peek = new byte[2];
        var read = new byte[3];

        Assert.Equal(2, ring.Peek(peek));
        Assert.Equal(3, ring.Read(read));

        Assert.Equal("cd"u8.ToArray(), peek);
        Assert.Equal("cde"u8.ToArray(), read);
        Assert.Equal("f"u8.ToArray(), ring.ToArray());
    }
}
