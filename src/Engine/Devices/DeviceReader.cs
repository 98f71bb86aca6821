namespace CharWeb.Engine.Devices;

/// <summary>
/// The read side of a device backend: one dedicated thread that polls a <see cref="DeviceFile"/>
/// and hands what it reads to <c>output</c>, so no thread-pool thread ever blocks on a device.
/// </summary>
internal sealed class DeviceReader : IDisposable
{
    private const int PollMs = 200;
    private const int RecheckMs = 100;

    private readonly ManualResetEventSlim _stop = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;

    /// <param name="file">The device.</param>
    /// <param name="output">Where what is read goes.</param>
    /// <param name="failed">Told why reading stopped, when it was not disposed; <see cref="Ended"/> is complete by then.</param>
    /// <param name="mayRead">For a paced device: waits up to the given milliseconds for the consoles' room, answering whether to read now.</param>
    /// <param name="peer">
    /// For a device whose other side comes and goes (a pty's slave, as QEMU's <c>char-pty.c</c> watches it): told at
    /// each look whether a peer is there. A hang-up then does not end the reader; it looks again shortly.
    /// </param>
    public DeviceReader(DeviceFile file, ReadOnlySpanAction output, Action<string> failed, Func<int, bool>? mayRead = null, Action<bool>? peer = null)
    {
        _thread = new Thread(() => Run(file, output, failed, mayRead, peer)) { IsBackground = true, Name = "read " + file.Path };
        _thread.Start();
    }

    public delegate void ReadOnlySpanAction(ReadOnlySpan<byte> data);

    /// <summary>Completes when the reader stops: disposed, failed, or the device hung up after all it said was read.</summary>
    public Task Ended => _ended.Task;

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run(DeviceFile file, ReadOnlySpanAction output, Action<string> failed, Func<int, bool>? mayRead, Action<bool>? peer)
    {
        var buffer = new byte[ChardevBackend.ReadBytes];
        string? failure = null;
        // Until a look says otherwise, nobody is on the other side of a device that has one.
        var away = peer is not null;
        try
        {
            while (!_stop.IsSet && failure is null)
            {
                // Held while every console is full: the device waits in its own buffer, nothing is lost.
                if (mayRead is not null && !mayRead(PollMs))
                {
                    continue;
                }

                // While nobody is there, look without waiting, so that a peer that arrives is seen at once.
                var (readable, hungUp) = file.Poll(away ? 0 : PollMs);
                var n = readable ? file.Read(buffer) : 0;
                if (n > 0)
                {
                    away = false;
                    peer?.Invoke(true);
                    output(buffer.AsSpan(0, n));
                }
                else if (!hungUp && n == 0)
                {
                    // A look without hang-up: whoever has the other side open is there.
                    away = false;
                    peer?.Invoke(true);
                }
                else if (peer is null)
                {
                    failure = $"{file.Path} hung up";
                }
                else
                {
                    // Nobody has the other side open: look again shortly, as QEMU's pty timer does.
                    away = true;
                    peer(false);
                    _stop.Wait(RecheckMs);
                }
            }
        }
        catch (IOException ex)
        {
            failure = ex.Message;
        }
        finally
        {
            _ended.TrySetResult();
        }

        if (failure is not null)
        {
            failed(failure);
        }
    }
}
