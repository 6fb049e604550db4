namespace Weft.Transports.Registry;

/// <summary>Makes outgoing connections to one address (a transport plus the layers composed so far).</summary>
public interface IConnectionDialer
{
    /// <summary>The address this dialer connects to.</summary>
    Address Address { get; }

    /// <summary>Opens one connection, with every layer of <see cref="Address"/> applied.</summary>
    /// <param name="cancellationToken">Cancels the attempt; anything half-open is closed.</param>
    /// <returns>The connection (role <see cref="ConnectionRole.Client"/>).</returns>
    /// <exception cref="TransportException">The connection or a layer failed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default);
}
