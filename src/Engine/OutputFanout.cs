using System.Collections.Immutable;
using CharWeb.Engine.Consoles;
using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>
/// The output side of a chardev, as QEMU's <c>char.c</c> owns it for every backend: each chunk the
/// device says is counted, logged, kept in the history ring, and handed to every attached console,
/// or, with nobody watching, discarded and counted (the spice rule). A console that joins gets the
/// history and then every chunk after it, with no gap and nothing twice.
/// </summary>
internal sealed partial class OutputFanout(string chardevId, int history, ChardevCounters counters, Action<string> logfileFailed, TimeProvider time, ILogger logger)
{
    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private readonly ByteRing? _history = history > 0 ? new ByteRing(history) : null;
    private ImmutableArray<ConsoleSession> _consoles = [];
    private readonly OutputPacer _pacer = new(time);
    private ChardevLogfile? _logfile;
    private int _logfileFailed;
    private AsciicastRecorder? _recorder;
    private bool _recordingFailed;

    public ImmutableArray<ConsoleSession> Consoles => _consoles;

    /// <summary>Open while the device may be read: always unless paced and a console holds it.</summary>
    public OutputGate Gate => _pacer.Gate;

    /// <summary>Whether the device is paced to the consoles (<c>flow: pace</c> on a kind that can wait).</summary>
    public bool Paced
    {
        get => _pacer.Paced;
        set => _pacer.Paced = value;
    }

    /// <summary>Looks again at whether the device may be read.</summary>
    public void UpdateGate() => _pacer.Update();

    /// <summary>Opens the log every chunk is written to, for append (logs are CharWeb's own records: their folder is made).</summary>
    public void OpenLogfile(PathPolicy paths, string path, LogSettings settings)
    {
        try
        {
            _logfile = new ChardevLogfile(paths.OpenWrite("logfile", path, createFolders: true, devices: true), settings, paths, time);
        }
        catch (Exception ex) when (OpenFailures.IsOpenFailure(ex))
        {
            throw OpenFailures.Logfile(chardevId, ex);
        }
    }

    /// <summary>Empties the log: only once the chardev being created is certain to exist.</summary>
    public void TruncateLogfile() => _logfile?.Truncate();

    /// <summary>The chardev is open: event lines held while it opened go into the log.</summary>
    public void LogfileReady() => Logged(static logfile => logfile.Ready());

    /// <summary>A create that failed: the log is closed, and removed if the create made it.</summary>
    public void AbandonLogfile()
    {
        _logfile?.Abandon();
        _logfile = null;
    }

    /// <summary>An event line in the log (<c>logEvents</c>), such as <c>Console up</c>.</summary>
    public void Note(string text) => Logged(logfile => logfile.Note(text));
    /// <summary>Starts the asciicast recording (<c>record: true</c>); it survives backend hot-swaps, as the log does.</summary>
    public void StartRecording(AsciicastRecorder recorder)
    {
        try
        {
            recorder.Start();
            _recorder = recorder;
        }
        catch (Exception ex) when (OpenFailures.IsOpenFailure(ex))
        {
            throw new ChardevException(ChardevErrorKind.OpenFailed, $"chardev '{chardevId}': recording could not be opened: {ex.Message}", [new FieldError("record", ex.Message)], ex);
        }
    }

    /// <summary>A create that failed: the recording is closed, and removed if the create made it.</summary>
    public void AbandonRecording()
    {
        _recorder?.Abandon();
        _recorder = null;
    }

    /// <summary>The writer's terminal size changed: the recording gets an <c>r</c> event.</summary>
    public void Resize(int cols, int rows) => Record(recorder => recorder.Resize(cols, rows));

    /// <summary>
    /// Device output: never blocks, whatever the consoles do. <paramref name="owned"/>, when given, holds exactly
    /// <paramref name="data"/> and is the backend's to give: the consoles take it as it is. Answers whether they did.
    /// </summary>
    public bool Output(ReadOnlySpan<byte> data, byte[]? owned = null)
    {
        counters.Output(data.Length);
        WriteLogfile(data);
        if (_recorder is not null)
        {
            RecordOutput(data);
        }

        lock (_lock)
        {
            _history?.Write(data);
            var consoles = _consoles;
            if (consoles.IsEmpty)
            {
                // The spice rule: nobody is watching, so the bytes go nowhere but the counters.
                counters.OutputDropped(data.Length);
                return false;
            }

            // One array shared by every console: the backend's own when it gives it, else a copy (not zeroed first, since it is overwritten at once).
            var chunk = owned;
            if (chunk is null)
            {
                chunk = GC.AllocateUninitializedArray<byte>(data.Length);
                data.CopyTo(chunk);
            }

            foreach (var console in consoles)
            {
                console.Enqueue(chunk);
            }
        }

        if (_pacer.Paced)
        {
            _pacer.Update();
        }

        return owned is not null;
    }

    /// <summary>Adds the console <paramref name="create"/> makes from the history as it stands, in one step with the output.</summary>
    public ConsoleSession Join(Func<byte[], ConsoleSession> create)
    {
        lock (_lock)
        {
            var session = create(_history?.ToArray() ?? []);
            session.RoomFreed = UpdateGate;
            _consoles = _consoles.Add(session);
            _pacer.Consoles = _consoles;
            _pacer.Update();
            return session;
        }
    }

    /// <summary>Takes a console out; false when it was not there.</summary>
    public bool Leave(ConsoleSession session)
    {
        lock (_lock)
        {
            var before = _consoles.Length;
            _consoles = _consoles.Remove(session);
            _pacer.Consoles = _consoles;
            _pacer.Update();
            return _consoles.Length != before;
        }
    }

    /// <summary>Takes every console out (the chardev is going), answering them.</summary>
    public ImmutableArray<ConsoleSession> LeaveAll()
    {
        lock (_lock)
        {
            var consoles = _consoles;
            _consoles = [];
            _pacer.Consoles = _consoles;
            _pacer.Update();
            return consoles;
        }
    }

    /// <summary>The history ring as it stands (what a new console would be shown first).</summary>
    public byte[] History()
    {
        lock (_lock)
        {
            return _history?.ToArray() ?? [];
        }
    }

    /// <summary>REST <c>read</c> of a kind that stores nothing itself: the newest <paramref name="size"/> bytes of history.</summary>
    public byte[] Tail(int size, string backendType)
    {
        if (_history is null)
        {
            throw new ChardevException(
                ChardevErrorKind.Unsupported,
                $"chardev '{chardevId}' keeps no history and its backend '{backendType}' stores nothing to read",
                [new FieldError("id", "has history 0 and is not a ringbuf; create it with history > 0 to read its recent output")]);
        }

        var all = History();
        return all.Length > size ? all[^size..] : all;
    }

    public void CloseLogfile()
    {
        _logfile?.Dispose();
        _logfile = null;
        _recorder?.Dispose();
        _recorder = null;
        _pacer.Dispose();
    }

    private void WriteLogfile(ReadOnlySpan<byte> data)
    {
        try
        {
            Usable?.Write(data);
        }
        catch (Exception ex) when (IsLogFailure(ex))
        {
            Broke(ex);
        }
    }

    private void Logged(Action<ChardevLogfile> step)
    {
        try
        {
            if (Usable is { } logfile)
            {
                step(logfile);
            }
        }
        catch (Exception ex) when (IsLogFailure(ex))
        {
            Broke(ex);
        }
    }

    /// <summary>The log, while it works.</summary>
    private ChardevLogfile? Usable => Volatile.Read(ref _logfileFailed) == 0 ? _logfile : null;

    private static bool IsLogFailure(Exception ex) => ex is IOException or ChardevException or UnauthorizedAccessException;

    /// <summary>A broken log must not stop the device; say so once and keep going without it.</summary>
    private void Broke(Exception ex)
    {
        if (Interlocked.Exchange(ref _logfileFailed, 1) == 0 && _logfile is { } logfile)
        {
            LogLogfileFailed(chardevId, logfile.Path, ex.Message);
            logfileFailed($"logfile {logfile.Path}: {ex.Message}");
        }
    }

    private void RecordOutput(ReadOnlySpan<byte> data)
    {
        var recorder = _recorder;
        if (recorder is null || _recordingFailed)
        {
            return;
        }

        try
        {
            recorder.Output(data);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ChardevException)
        {
            // A rotation may meet a refused path (the folder swapped for a link) as well as a full disk.
            RecordingFailed(recorder, ex);
        }
    }

    private void Record(Action<AsciicastRecorder> write)
    {
        var recorder = _recorder;
        if (recorder is null || _recordingFailed)
        {
            return;
        }

        try
        {
            write(recorder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ChardevException)
        {
            // A rotation may meet a refused path (the folder swapped for a link) as well as a full disk.
            RecordingFailed(recorder, ex);
        }
    }

    private void RecordingFailed(AsciicastRecorder recorder, Exception ex)
    {
        // As the log: a broken recording must not stop the device; say so once and go on without it.
        if (!_recordingFailed)
        {
            _recordingFailed = true;
            LogRecordingFailed(chardevId, recorder.Path, ex.Message);
            logfileFailed($"recording {recorder.Path}: {ex.Message}");
        }
    }
}
