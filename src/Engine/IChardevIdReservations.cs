namespace CharWeb.Engine;

/// <summary>
/// Where chardev ids must be unique beyond this server (the nodes of a cluster). The registry reserves
/// an id here before it opens a chardev and gives it back when the chardev is gone or its creation failed.
/// </summary>
public interface IChardevIdReservations
{
    /// <summary>One server alone: its own ledger already keeps ids unique.</summary>
    static readonly IChardevIdReservations ThisServer = new ThisServerOnly();

    /// <summary>Reserves <paramref name="id"/>, or throws a <see cref="ChardevException"/> (conflict naming <c>id</c>) when another holds it.</summary>
    Task ReserveAsync(string id, CancellationToken cancellationToken);

    /// <summary>Gives <paramref name="id"/> back; never throws (a reservation that cannot be given back now is mended later).</summary>
    Task ReleaseAsync(string id, CancellationToken cancellationToken);

    private sealed class ThisServerOnly : IChardevIdReservations
    {
        public Task ReserveAsync(string id, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ReleaseAsync(string id, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
