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

    public DeviceReader(DeviceFile file, ReadOnlySpanAction output, Action<string> failed)
    {
        _thread = new Thread(() => Run(file, output, failed)) { IsBackground = true, Name = "read " + file.Path };
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

    private void Run(DeviceFile file, ReadOnlySpanAction output, Action<string> failed)
    {
        var buffer = new byte[65536];
        try
        {
            while (!_stop.IsSet)
            {
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
