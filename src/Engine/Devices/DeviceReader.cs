namespace CharWeb.Engine.Devices;

/// <summary>
/// The read side of a device backend: one dedicated thread that polls a <see cref="DeviceFile"/>
/// and hands what it reads to <c>output</c>, so no thread-pool thread ever blocks on a device.
/// </summary>
internal sealed class DeviceReader : IDisposable
{
    private const int PollMs = 200;

    private readonly ManualResetEventSlim _stop = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;

    /// <param name="file">The device.</param>
    /// <param name="output">Where what is read goes.</param>
    /// <param name="failed">Told why reading stopped, when it was not disposed.</param>
    /// <param name="mayRead">For a paced device: waits up to the given milliseconds for the consoles' room, answering whether to read now.</param>
    public DeviceReader(DeviceFile file, ReadOnlySpanAction output, Action<string> failed, Func<int, bool>? mayRead = null)
    {
        _thread = new Thread(() => Run(file, output, failed, mayRead)) { IsBackground = true, Name = "read " + file.Path };
        _thread.Start();
    }

    public delegate void ReadOnlySpanAction(ReadOnlySpan<byte> data);

    /// <summary>Completes when the reader stops: disposed, or the device hung up after all it said was read.</summary>
    public Task Ended => _ended.Task;

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run(DeviceFile file, ReadOnlySpanAction output, Action<string> failed, Func<int, bool>? mayRead)
    {
        var buffer = new byte[ChardevBackend.ReadBytes];
        try
        {
            while (!_stop.IsSet)
            {
                // Held while every console is full: the device waits in its own buffer, nothing is lost.
                if (mayRead is not null && !mayRead(PollMs))
                {
                    continue;
                }

                var (readable, hungUp) = file.Poll(PollMs);
                var n = readable ? file.Read(buffer) : 0;
                if (n > 0)
                {
                    output(buffer.AsSpan(0, n));
                }
                else if (hungUp || n < 0)
                {
                    failed($"{file.Path} hung up");
                    return;
                }
            }
        }
        catch (IOException ex)
        {
            failed(ex.Message);
        }
        finally
        {
            _ended.TrySetResult();
        }
    }
}
