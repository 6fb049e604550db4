namespace Weft.Transports.Registry;

/// <summary>Accepts incoming connections on one address. Dispose to stop listening.</summary>
public interface IConnectionListener : IAsyncDisposable
{
    /// <summary>The bound address (a requested port 0 is replaced by the real port), including the layers.</summary>
    Address Address { get; }

    /// <summary>Waits for the next connection, with every layer already applied.</summary>
    /// <param name="cancellationToken">Cancels the wait (the listener keeps listening).</param>
    /// <returns>The connection (role <see cref="ConnectionRole.Server"/>).</returns>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    ValueTask<TransportConnection> AcceptAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The addresses under which peers in <paramref name="scope"/> can reach this listener (layers included),
    /// e.g. <c>net:127.0.0.1:8008</c> for <see cref="AddressScope.Device"/> when bound to <c>0.0.0.0</c>.
    /// Empty when the listener is not reachable in that scope.
    /// </summary>
    /// <param name="scope">Who the address is for.</param>
    /// <param name="options">External host names and overrides.</param>
    /// <returns>Zero or more addresses.</returns>
    IReadOnlyList<Address> GetAdvertisedAddresses(AddressScope scope, AdvertiseOptions options);
}
