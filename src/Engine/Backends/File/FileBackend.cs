namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-file.c</c>: input is written to <c>path</c> (truncated at creation unless
/// <c>append</c>; reopened for append after a restart or a hot-swap); the optional <c>in</c> file
/// is read once, as the device's output. Both are opened beneath their allowed folder.
/// </summary>
public sealed class FileBackend(string outPath, string? inPath, bool append, PathPolicy paths) : ChardevBackend
{
    private readonly CancellationTokenSource _stop = new();
    private OutputFile? _out;
    private Task _reader = Task.CompletedTask;

    public static BackendKind Kind { get; } = BackendKind.Create<FileBackendOptions>(
        "Input is written to a file (truncated unless append); an optional 'in' file is read once as output.",
        Validate,
        (o, c) => new FileBackend(c.Paths.FullPath(o.Path), o.In is null ? null : c.Paths.FullPath(o.In), o.Append, c.Paths),
        (o, c) => [new BackendClaim("path", "file:" + c.Paths.FullPath(o.Path))],
        // QAPI's ChardevFile names the output file "out".
        fromQapi: data => Qapi.QapiNames.Rename(data, "out", "path")).Paced();

    public override string Filename => "file";

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        var input = inPath is null ? null : paths.OpenRead("in", inPath);
        try
        {
            // Unbuffered: each write reaches the file now, and a failed one is not retried at close.
            _out = paths.OpenWrite("path", outPath, devices: true);
            if (Creating && !append)
            {
                _out.Truncate();
            }
        }
        catch
        {
            input?.Dispose();
            throw;
        }

        SetState(ChardevState.Open);
        if (input is not null)
        {
            _reader = ReadInAsync(input, _stop.Token);
        }

        return ValueTask.CompletedTask;
    }

    public override async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var output = _out?.Stream ?? throw new InvalidOperationException("file backend is not open");
        await output.WriteAsync(data, cancellationToken);
        return data.Length;
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_out is not null)
        {
            _out.Dispose();
        }

        _stop.Dispose();
        await base.DisposeAsync();
    }

    private static IEnumerable<FieldError> Validate(FileBackendOptions options, BackendContext context)
    {
        var errors = new List<FieldError>();
        context.Paths.Resolve("path", options.Path, errors);
        if (options.In is not null)
        {
            context.Paths.Resolve("in", options.In, errors);
        }

        return errors;
    }

    private async Task ReadInAsync(FileStream input, CancellationToken cancellationToken)
    {
        await using (input)
        {
            var buffer = new byte[ReadBytes];
            try
            {
                while (true)
                {
                    await WaitForRoomAsync(cancellationToken);
                    var n = await input.ReadAsync(buffer, cancellationToken);
                    if (n == 0)
                    {
                        break;
                    }

                    Output(buffer.AsSpan(0, n));
                }
            }
            catch (OperationCanceledException)
            {
                // Removed or swapped while still reading: nothing more to say.
            }
            catch (IOException ex)
            {
                SetState(ChardevState.Failed, $"reading {inPath}: {ex.Message}");
            }
        }
    }
}
