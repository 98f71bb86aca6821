using System.Buffers;
using System.Globalization;
using System.Text;

namespace CharWeb.Engine;

/// <summary>How a chardev's log is kept: stamped lines, event lines, rotation (from its definition).</summary>
internal sealed record LogSettings(bool Timestamps, bool Events, long? MaxBytes, int MaxFiles)
{
    public static LogSettings Of(ChardevDefinition definition) =>
        new(definition.LogTimestamps, definition.LogEvents, definition.LogMaxBytes, definition.LogMaxFiles ?? ChardevDefinition.DefaultLogMaxFiles);
}

/// <summary>
/// QEMU's <c>logfile</c>, kept as conserver keeps its logs: a full record of the device's output, written as it
/// arrives, whatever the consoles do; with <see cref="LogSettings.Timestamps"/> each line starts with the UTC time
/// its first byte arrived; with <see cref="LogSettings.Events"/> what happens to the chardev is written as lines of
/// its own, <c>[-- ... -- time]</c>, never inside an output line; with <see cref="LogSettings.MaxBytes"/> the log is
/// rotated before it would pass that size (<see cref="RotatedLogs"/>). Owned by the chardev, so it survives backend
/// hot-swaps. Each chunk goes to the kernel unbuffered in one write (a killed server loses none of it); it is synced
/// to disk when closed or rotated away.
/// </summary>
internal sealed class ChardevLogfile : IDisposable
{
    /// <summary><c>[2026-12-01T23:59:59.123Z] </c></summary>
    public const int StampLength = 27;

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private readonly Lock _lock = new();
    private readonly LogSettings _settings;
    private readonly PathPolicy _paths;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _scratch = new();
    private readonly byte[] _lineStamp = new byte[StampLength];
    private readonly LineTail? _tail;
    private List<(string Text, DateTimeOffset At)>? _held = [];
    private OutputFile _file;
    private long _size;
    private byte _last = (byte)'\n';
    private bool _lineStamped;
    private bool _closed;

    public ChardevLogfile(OutputFile file, LogSettings settings, PathPolicy paths, TimeProvider time)
    {
        _file = file;
        _settings = settings;
        _paths = paths;
        _time = time;
        var regular = file.Identity.IsRegular;
        _size = regular ? file.Stream.Length : 0;
        if (regular && settings.MaxBytes is { } max)
        {
            _tail = new LineTail((int)Math.Clamp(max / 4, 1, 64 << 10));
        }

        if (regular && _size > 0 && (settings.Timestamps || settings.Events || _tail is not null))
        {
            ReadEnd();
        }
    }

    public string Path => _file.Path;

    /// <summary>Empties the log: only once the chardev being created is certain to exist.</summary>
    public void Truncate()
    {
        lock (_lock)
        {
            _file.Truncate();
            _size = 0;
            _last = (byte)'\n';
            _tail?.Clear();
        }
    }

    /// <summary>The chardev is open (and its log emptied if it was being created): event lines held until now are written.</summary>
    public void Ready()
    {
        lock (_lock)
        {
            var held = _held;
            _held = null;
            foreach (var (text, at) in held ?? [])
            {
                WriteNote(text, at);
            }
        }
    }

    /// <summary>A create that failed: the log is closed, and removed if the create made it.</summary>
    public void Abandon()
    {
        lock (_lock)
        {
            _closed = true;
            _file.Abandon();
        }
    }

    /// <summary>Device output: one write, each line stamped with this moment where it starts.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if (!_settings.Timestamps)
            {
                Emit(data);
                return;
            }

            _scratch.ResetWrittenCount();
            Span<byte> stamp = stackalloc byte[StampLength];
            var stamped = false;
            var atStart = _last == '\n';
            while (!data.IsEmpty)
            {
                if (atStart)
                {
                    if (!stamped)
                    {
                        Stamp(stamp, _time.GetUtcNow());
                        stamped = true;
                    }

                    _scratch.Write(stamp);
                    stamp.CopyTo(_lineStamp);
                    _lineStamped = true;
                }

                var newline = data.IndexOf((byte)'\n');
                var line = newline < 0 ? data : data[..(newline + 1)];
                _scratch.Write(line);
                atStart = newline >= 0;
                data = data[line.Length..];
            }

            Emit(_scratch.WrittenSpan);
        }
    }

    /// <summary>An event line, <c>[-- text -- time]</c>, after a newline if an output line is under way; only with <see cref="LogSettings.Events"/>.</summary>
    public void Note(string text)
    {
        if (!_settings.Events)
        {
            return;
        }

        lock (_lock)
        {
            if (_held is not null)
            {
                _held.Add((text, _time.GetUtcNow()));
            }
            else if (!_closed)
            {
                WriteNote(text, _time.GetUtcNow());
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (!_closed)
            {
                _closed = true;
                Close(_file);
            }
        }
    }

    private void WriteNote(string text, DateTimeOffset at)
    {
        _scratch.ResetWrittenCount();
        if (_last != '\n')
        {
            Encoding.ASCII.GetBytes(_last == '\r' ? "\n" : "\r\n", _scratch);
        }

        if (_settings.Timestamps)
        {
            Stamp(_scratch.GetSpan(StampLength), at);
            _scratch.Advance(StampLength);
        }

        // A name with a control character in it must not be able to start a line of its own.
        var safe = string.Create(text.Length, text, (span, t) =>
        {
            for (var i = 0; i < t.Length; i++)
            {
                span[i] = char.IsControl(t[i]) ? '?' : t[i];
            }
        });
        Encoding.UTF8.GetBytes($"[-- {safe} -- {at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}]\r\n", _scratch);
        Emit(_scratch.WrittenSpan);
    }

    /// <summary>Appends <paramref name="bytes"/>, rotating first wherever the log would pass its size otherwise.</summary>
    private void Emit(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_tail is null || _size + bytes.Length <= _settings.MaxBytes)
            {
                Put(bytes);
                return;
            }

            // Whole lines that still fit stay in this log; it is rotated at a line's end.
            var room = (int)Math.Clamp(_settings.MaxBytes!.Value - _size, 0, bytes.Length);
            var fits = bytes[..room].LastIndexOf((byte)'\n');
            if (fits >= 0)
            {
                Put(bytes[..(fits + 1)]);
                bytes = bytes[(fits + 1)..];
                Rotate();
                continue;
            }

            // Nothing more fits here: rotate, unless this log holds only the line under way (that would not shrink it).
            if (_size > _tail.Held.Length)
            {
                Rotate();
                continue;
            }

            var newline = bytes.IndexOf((byte)'\n');
            var line = newline < 0 ? bytes : bytes[..(newline + 1)];
            Put(line);
            bytes = bytes[line.Length..];
        }
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        _file.Stream.Write(bytes);
        _size += bytes.Length;
        _last = bytes[^1];
        _tail?.Append(bytes);
    }

    /// <summary>
    /// conserver's roll: the log is renamed to its rotated name beside it and a new one started under the same
    /// name; a line under way moves to the new log (or, too long to move, goes on there after its own stamp).
    /// </summary>
    private void Rotate()
    {
        var carried = _tail!.Held.ToArray();
        var split = _tail.Overflowed;
        var logName = System.IO.Path.GetFileName(_file.Path);
        using var folder = _paths.OpenFolderOf("logfile", _file.Path);
        if (ConfinedFile.Describe(folder, logName) is { } now && now.Device == _file.Identity.Device && now.Inode == _file.Identity.Inode)
        {
            RotatedLogs.Rename(folder, logName, _time.GetUtcNow());
        }

        var old = _file;
        _file = _paths.OpenWrite("logfile", old.Path);
        _size = _file.Stream.Length;
        _last = (byte)'\n';
        _tail.Clear();
        if (carried.Length > 0)
        {
            Put(carried);
            old.Stream.SetLength(old.Stream.Length - carried.Length);
        }
        else if (split)
        {
            _last = 0;
            if (_settings.Timestamps)
            {
                Put(_lineStamped ? _lineStamp : StampOf(_time.GetUtcNow()));
            }
        }

        Close(old);
        RotatedLogs.Prune(folder, logName, _settings.MaxFiles);
    }

    /// <summary>What an existing log ends with: whether a line is under way, and the line itself for a rotation to move.</summary>
    private void ReadEnd()
    {
        try
        {
            using var read = _paths.OpenRead("logfile", _file.Path);
            var identity = ConfinedFile.Describe(read.SafeFileHandle);
            if (identity.Device != _file.Identity.Device || identity.Inode != _file.Identity.Inode)
            {
                return;
            }

            // The last byte says whether a line is under way; with rotation, the line itself (or that it is too long to move).
            var window = (int)Math.Min(_size, (_tail?.Capacity ?? 0) + 1);
            var end = new byte[window];
            var got = RandomAccess.Read(read.SafeFileHandle, end, _size - window);
            if (got > 0)
            {
                _last = end[got - 1];
                _tail?.Seed(end.AsSpan(0, got), wholeFile: window == _size);
            }
        }
        catch (Exception ex) when (ex is IOException or ChardevException or UnauthorizedAccessException)
        {
            // Unknown: start as if at a line's start.
        }
    }

    private static void Close(OutputFile file)
    {
        try
        {
            file.Stream.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // Already reported when a write failed; closing must still happen.
        }

        file.Dispose();
    }

    private static byte[] StampOf(DateTimeOffset at)
    {
        var stamp = new byte[StampLength];
        Stamp(stamp, at);
        return stamp;
    }

    private static void Stamp(Span<byte> into, DateTimeOffset at)
    {
        into[0] = (byte)'[';
        at.UtcDateTime.TryFormat(into[1..], out var written, TimeFormat, CultureInfo.InvariantCulture);
        into[written + 1] = (byte)']';
        into[written + 2] = (byte)' ';
    }
}
