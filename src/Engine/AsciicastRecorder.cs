using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CharWeb.Engine;

/// <summary>
/// <c>record: true</c>: the chardev's output as an asciicast v2 recording (a header line, then
/// <c>[seconds, "o", text]</c> and <c>[seconds, "r", "COLSxROWS"]</c> lines), in <c>records/ID.cast</c>
/// under the data folder. Past <c>recordMaxBytes</c> the file is rotated as logs are, to <c>ID.cast-YYYYMMDD-HHMMSS</c>
/// (<see cref="RotatedLogs"/>; the newest <c>recordMaxFiles</c> are kept), and a new one starts with its own header,
/// so every file plays on its own. The current file always ends in <c>.cast</c> and a rotated one never does, so
/// no chardev's id can name another's rotated recording.
/// </summary>
internal sealed class AsciicastRecorder(string chardevId, PathPolicy paths, RecordSettings settings, (int Cols, int Rows) size, TimeProvider time) : IDisposable
{
    public const string Folder = "records";

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _lock = new();

    // Keeps the incomplete tail of a UTF-8 sequence for the next chunk; invalid bytes become U+FFFD, as asciinema's.
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly ArrayBufferWriter<byte> _line = new(4096);
    private OutputFile? _file;
    private long _written;
    private long _headerBytes;
    private long _started;
    private (int Cols, int Rows) _size = size;

    /// <summary>Where chardev <paramref name="id"/> records, relative to the data folder.</summary>
    public static string RelativePath(string id) => System.IO.Path.Combine(Folder, id + ".cast");

    public string Path { get; } = paths.FullPath(RelativePath(chardevId));

    /// <summary>
    /// Starts a recording. A file already there (a restart) is rotated aside first: a second header
    /// mid-file is not valid asciicast v2.
    /// </summary>
    public void Start()
    {
        lock (_lock)
        {
            var file = paths.OpenWrite("record", Path, createFolders: true);
            if (file.Stream.Length > 0)
            {
                file.Dispose();
                Rotate();
                file = paths.OpenWrite("record", Path, createFolders: true);
            }

            Begin(file);
        }
    }

    /// <summary>Device output as an <c>o</c> event; an incomplete UTF-8 tail waits for the next chunk.</summary>
    public void Output(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (_file is null)
            {
                return;
            }

            var chars = ArrayPool<char>.Shared.Rent(data.Length + 4);
            try
            {
                var count = _decoder.GetChars(data, chars, flush: false);
                if (count > 0)
                {
                    WriteEvent("o", chars.AsSpan(0, count));
                }
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }
    }

    /// <summary>The writer's terminal changed size: an <c>r</c> event, and the size of the next file's header.</summary>
    public void Resize(int cols, int rows)
    {
        lock (_lock)
        {
            if (_file is null || _size == (cols, rows))
            {
                return;
            }

            _size = (cols, rows);
            WriteEvent("r", string.Create(CultureInfo.InvariantCulture, $"{cols}x{rows}"));
        }
    }

    /// <summary>A create that failed: the recording is closed, and removed if this start made it.</summary>
    public void Abandon()
    {
        lock (_lock)
        {
            _file?.Abandon();
            _file = null;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            try
            {
                _file?.Stream.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // Already reported when a write failed; closing must still happen.
            }

            _file?.Dispose();
            _file = null;
        }
    }

    private void Begin(OutputFile file)
    {
        _file = file;
        _written = 0;
        _started = time.GetTimestamp();
        _line.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_line, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 2);
            json.WriteNumber("width", _size.Cols);
            json.WriteNumber("height", _size.Rows);
            json.WriteNumber("timestamp", time.GetUtcNow().ToUnixTimeSeconds());
            json.WriteString("title", chardevId);
            json.WriteEndObject();
        }

        _line.Write("\n"u8);
        WriteLine();
        _headerBytes = _written;
    }

    private void WriteEvent(string code, ReadOnlySpan<char> text)
    {
        Build(code, text);
        if (_written > _headerBytes && _written + _line.WrittenCount > settings.MaxBytes)
        {
            // This event would pass recordMaxBytes: it opens the next file instead, at that file's time 0.
            _file!.Dispose();
            Rotate();
            Begin(paths.OpenWrite("record", Path, createFolders: true));
            Build(code, text);
        }

        WriteLine();
    }

    /// <summary>One event line, newline included, in <see cref="_line"/>.</summary>
    private void Build(string code, ReadOnlySpan<char> text)
    {
        var seconds = Math.Round(time.GetElapsedTime(_started).TotalSeconds, 6);
        _line.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_line, JsonOptions))
        {
            json.WriteStartArray();
            json.WriteNumberValue(seconds);
            json.WriteStringValue(code);
            json.WriteStringValue(text);
            json.WriteEndArray();
        }

        _line.Write("\n"u8);
    }

    private void WriteLine()
    {
        _file!.Stream.Write(_line.WrittenSpan);
        _written += _line.WrittenCount;
    }

    private void Rotate()
    {
        var name = System.IO.Path.GetFileName(Path);
        using var folder = paths.OpenFolderOf("record", Path);
        if (ConfinedFile.Describe(folder, name) is { IsRegular: true })
        {
            RotatedLogs.Rename(folder, name, time.GetUtcNow());
        }

        RotatedLogs.Prune(folder, name, settings.MaxFiles);
        _file = null;
    }
}
