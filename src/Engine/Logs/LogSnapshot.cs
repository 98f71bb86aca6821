namespace CharWeb.Engine;

/// <summary>
/// A log opened for reading, as it stood when it was opened: its length then, never more, so a log the
/// device goes on writing is served whole and consistent (the length an HTTP answer announced is the
/// length it sends). Seekable, for ranges.
/// </summary>
public sealed class LogSnapshot : Stream
{
    private readonly FileStream _file;

    internal LogSnapshot(string name, FileStream file)
    {
        Name = name;
        _file = file;
        Length = file.Length;
        Modified = File.GetLastWriteTimeUtc(file.SafeFileHandle);
    }

    /// <summary>The log's file name (the current one's, or a rotated one's).</summary>
    public string Name { get; }

    /// <summary>When it was last written, as of the open.</summary>
    public DateTimeOffset Modified { get; }

    public override long Length { get; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Position
    {
        get => _file.Position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => _file.Read(buffer[..Allowed(buffer.Length)]);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _file.ReadAsync(buffer[..Allowed(buffer.Length)], cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _file.Position + offset,
            _ => Length + offset,
        };
        return _file.Seek(Math.Clamp(target, 0, Length), SeekOrigin.Begin);
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("a log snapshot is read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a log snapshot is read-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Allowed(int wanted) => (int)Math.Clamp(Length - _file.Position, 0, wanted);
}
