namespace Weft.Transports.Registry;

/// <summary>
/// A layer that needs the dialer or listener built so far rather than one stream, e.g. <c>stripe:4</c>,
/// which opens four connections of everything to its left and bundles them into one.
/// </summary>
public interface IConnectionCombinator
{
    /// <summary>The protocol name this combinator handles.</summary>
    string Name { get; }

    /// <summary>Wraps the dialer for everything to the left of <paramref name="part"/>.</summary>
    /// <param name="inner">Dials the address to the left (transport and earlier layers).</param>
    /// <param name="part">This combinator's part of the address.</param>
    /// <returns>A dialer whose <see cref="IConnectionDialer.Address"/> is <c>inner.Address.Append(part)</c>.</returns>
    /// <exception cref="TransportException">The fields are invalid.</exception>
    IConnectionDialer CombineDialer(IConnectionDialer inner, ProtocolPart part);

    /// <summary>Wraps the listener for everything to the left of <paramref name="part"/>; takes ownership of it.</summary>
    /// <param name="inner">Accepts connections of the address to the left.</param>
    /// <param name="part">This combinator's part of the address.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>A listener whose address and advertised addresses have <paramref name="part"/> appended.</returns>
    ValueTask<IConnectionListener> CombineListenerAsync(IConnectionListener inner, ProtocolPart part, CancellationToken cancellationToken = default);
}
