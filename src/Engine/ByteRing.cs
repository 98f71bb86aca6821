namespace CharWeb.Engine;

/// <summary>
/// A fixed ring of bytes: writing past capacity overwrites the oldest, as QEMU's ringbuf does.
/// Serves both the chardev history and the ringbuf backend. Not thread-safe; owners lock.
/// </summary>
internal sealed class ByteRing(int capacity)
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _start;

    public int Capacity => _buffer.Length;

    public int Count { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length >= Capacity)
        {
            data[^Capacity..].CopyTo(_buffer);
            _start = 0;
            Count = Capacity;
            return;
        }

        var end = (_start + Count) % Capacity;
        var first = Math.Min(data.Length, Capacity - end);
        data[..first].CopyTo(_buffer.AsSpan(end));
        data[first..].CopyTo(_buffer);
        var overflow = Count + data.Length - Capacity;
        if (overflow > 0)
        {
            _start = (_start + overflow) % Capacity;
            Count = Capacity;
        }
        else
        {
            Count += data.Length;
        }
    }

    /// <summary>Copies the oldest bytes out without consuming them.</summary>
    public int Peek(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, Count);
        var first = Math.Min(n, Capacity - _start);
        _buffer.AsSpan(_start, first).CopyTo(destination);
        _buffer.AsSpan(0, n - first).CopyTo(destination[first..]);
        return n;
    }

    /// <summary>Moves the oldest bytes out.</summary>
    public int Read(Span<byte> destination)
    {
        var n = Peek(destination);
        _start = (_start + n) % Capacity;
        Count -= n;
        return n;
    }

    public byte[] ToArray()
    {
        var copy = new byte[Count];
        Peek(copy);
        return copy;
    }
}
