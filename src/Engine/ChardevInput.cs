namespace CharWeb.Engine;

/// <summary>
/// The input path of one chardev, QEMU's <c>qemu_chr_write</c> under its <c>chr_write_lock</c>: console,
/// REST and QMP input goes into the backend in use one write at a time, and what the device side does
/// not take is dropped, counted and told. A hot-swap or removal holds input (<see cref="HoldAsync"/>),
/// so no write meets a backend that is being closed.
/// </summary>
internal sealed class ChardevInput(Chardev chardev, ChardevCounters counters, KeystrokeClock keystrokes, TimeProvider time)
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Input from <paramref name="source"/>. Answers the bytes accepted: 0 when the device side is not connected.</summary>
    public async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, InputSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        // A keystroke's round trip starts here, before it waits its turn behind other writes.
        var entered = source.IsConsole && keystrokes.Enabled ? time.GetTimestamp() : 0;
        await _turn.WaitAsync(cancellationToken);
        try
        {
            chardev.ThrowIfRemoved();
            var backend = chardev.Backend;
            if (!chardev.Connected)
            {
                backend.Probe();
            }

            if (!chardev.Connected)
            {
                Dropped(data.Length);
                return 0;
            }

            // Started before the device has the bytes: a device that echoes may do so inside WriteAsync.
            var timed = entered != 0 ? keystrokes.Start(entered) : 0;
            int accepted = 0;
            try
            {
                accepted = await backend.WriteAsync(data, source, cancellationToken);
            }
            catch (IOException ex)
            {
                // The device broke under the write (disk full, peer gone): the input is lost, and said so.
                chardev.LastError = ex.Message;
                Dropped(data.Length, ex.Message);
                chardev.Raise(ChardevEventKind.Failed, e => e with { Reason = $"write failed: {ex.Message}", State = chardev.State });
                return 0;
            }
            finally
            {
                if (accepted == 0)
                {
                    keystrokes.Cancel(timed);
                }
            }

            counters.Input(accepted);
            if (accepted < data.Length)
            {
                counters.InputDropped(data.Length - accepted);
            }

            return accepted;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>QEMU's <c>chardev-send-break</c> from <paramref name="by"/>; answers whether the backend carried a real break.</summary>
    public async ValueTask<bool> SendBreakAsync(string? by, CancellationToken cancellationToken)
    {
        chardev.ThrowIfRemoved();
        var carried = await chardev.Backend.SendBreakAsync(cancellationToken);
        chardev.Note(LogNotes.BreakSent(by));
        chardev.Raise(ChardevEventKind.Break);
        return carried;
    }

    /// <summary>The console's terminal size, for the backends that have one (pty, exec).</summary>
    public void Resize(int cols, int rows) => chardev.Backend.Resize(cols, rows);

    /// <summary>
    /// Lets the write under way finish and holds the ones behind it until the answer is disposed: a hot-swap
    /// or removal runs between writes, and those that waited then meet the new backend or "removed".
    /// </summary>
    public async Task<IDisposable> HoldAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        return new Held(_turn);
    }

    private void Dropped(int bytes, string? reason = null)
    {
        counters.InputDropped(bytes);
        chardev.Raise(ChardevEventKind.InputDropped, e => e with { Bytes = bytes, State = chardev.State, Reason = reason });
    }

    private sealed class Held(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Release();
            }
        }
    }
}
