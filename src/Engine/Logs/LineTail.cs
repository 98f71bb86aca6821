namespace CharWeb.Engine;

/// <summary>
/// The line a log is in the middle of (the bytes after its last newline), kept up to a bound, so that a
/// rotation can move it whole into the new log and the rotated one ends at a line's end, as conserver rolls.
/// A longer line is not kept: it is split between the two logs.
/// </summary>
internal sealed class LineTail(int capacity)
{
    private readonly byte[] _bytes = new byte[capacity];
    private int _length;
    private bool _overflowed;

    /// <summary>The longest line kept.</summary>
    public int Capacity => _bytes.Length;

    /// <summary>The line is under way and longer than what is kept.</summary>
    public bool Overflowed => _overflowed;

    /// <summary>What a rotation moves: the line under way, when it is kept.</summary>
    public ReadOnlySpan<byte> Held => _bytes.AsSpan(0, _length);

    /// <summary>Follows the log: <paramref name="written"/> was just appended to it.</summary>
    public void Append(ReadOnlySpan<byte> written)
    {
        var newline = written.LastIndexOf((byte)'\n');
        if (newline >= 0)
        {
            Clear();
            written = written[(newline + 1)..];
        }

        if (_overflowed || written.IsEmpty)
        {
            return;
        }

        if (_length + written.Length > _bytes.Length)
        {
            _overflowed = true;
            _length = 0;
            return;
        }

        written.CopyTo(_bytes.AsSpan(_length));
        _length += written.Length;
    }

    /// <summary>Starts over from what an existing log ends with (at most the capacity and one byte of it).</summary>
    public void Seed(ReadOnlySpan<byte> end, bool wholeFile)
    {
        Clear();
        var newline = end.LastIndexOf((byte)'\n');
        if (newline < 0 && !wholeFile)
        {
            _overflowed = end.Length > 0;
            return;
        }

        Append(end[(newline + 1)..]);
    }

    public void Clear()
    {
        _length = 0;
        _overflowed = false;
    }
}
