namespace CharWeb.Engine;

/// <summary>
/// Lossless while watched (QEMU's <c>qemu_chr_be_can_write</c>, ttyd pausing its pty): while a
/// console is attached, a paced device is read only while the consoles have room, so a console
/// that keeps up loses nothing; <see cref="OutputPacer"/> decides. With no console it stays
/// open: the spice rule, full speed, counted.
/// </summary>
public sealed class OutputGate : IDisposable
{
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private TaskCompletionSource _opened = Completed();

    public bool IsOpen => _open.IsSet;

    /// <summary>Waits (async) until the device may be read again.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        Task opened;
        lock (_lock)
        {
            opened = _opened.Task;
        }

        return opened.IsCompleted ? Task.CompletedTask : opened.WaitAsync(cancellationToken);
    }

    /// <summary>For a device's own read thread: waits up to <paramref name="timeoutMs"/>; answers whether it is open.</summary>
    public bool Wait(int timeoutMs) => _open.Wait(timeoutMs);

    public void Dispose() => _open.Dispose();

    internal void Set(bool open)
    {
        lock (_lock)
        {
            if (open == _open.IsSet)
            {
                return;
            }

            if (open)
            {
                _open.Set();
                _opened.TrySetResult();
            }
            else
            {
                _open.Reset();
                _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }
}
