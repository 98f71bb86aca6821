using System.Threading.Channels;

namespace CharWeb.Bench;

/// <summary>A console's reader says it moved; the harness waits for a total, or gives up when nothing moves for a while.</summary>
public sealed class ConsoleProgress
{
    private readonly Channel<bool> _moved = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Called by the reader after each item it counted.</summary>
    public void Moved() => _moved.Writer.TryWrite(true);

    /// <summary>
    /// Waits until <paramref name="done"/> reaches <paramref name="total"/>; false if the reader ended first or
    /// nothing moved for <paramref name="idle"/> (the caller reports what arrived).
    /// </summary>
    public async Task<bool> WaitForAsync(Func<long> done, long total, Task reading, TimeSpan idle, CancellationToken cancellationToken)
    {
        while (done() < total)
        {
            if (reading.IsCompleted)
            {
                await reading;
                return false;
            }

            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(idle);
            try
            {
                await _moved.Reader.WaitToReadAsync(quiet.Token);
                _moved.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }
}
