namespace CharWeb.Api.Hubs;

/// <summary>A count that may not pass a maximum: taken with <see cref="TryAdd"/>, given back with <see cref="Remove"/>.</summary>
internal sealed class BoundedCount
{
    private int _count;

    public bool TryAdd(int max)
    {
        if (Interlocked.Increment(ref _count) <= max)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        return false;
    }

    public void Remove() => Interlocked.Decrement(ref _count);
}
