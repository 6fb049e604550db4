namespace Weft.Transports.Registry;

/// <summary>
/// A layer that transforms a connected stream after connect/accept (Stream → Stream), e.g. a handshake
/// (<c>shs</c>) or <c>noauth</c>. It runs on both sides: <see cref="TransportConnection.Role"/> says
/// whether this side is the client or the server, and it receives the layer's address part with its fields.
/// </summary>
public interface IStreamLayer
{
    /// <summary>The protocol name this layer handles.</summary>
    string Name { get; }

    /// <summary>
    /// Whether addresses with this layer are advertised in <paramref name="scope"/> (e.g. <c>noauth</c>
    /// only in <see cref="AddressScope.Device"/>). Default: every scope.
    /// </summary>
    /// <param name="scope">The scope being printed.</param>
    /// <returns>True to advertise.</returns>
    bool IsAdvertisedIn(AddressScope scope) => true;

    /// <summary>
    /// The part a listener shows for this layer in its bound and advertised addresses, given the part it was
    /// started with (e.g. <c>shs</c> listening as <c>…~shs</c> prints <c>…~shs:OWN_PUBLIC_KEY</c>). Default: unchanged.
    /// </summary>
    /// <param name="part">The part from the listen address.</param>
    /// <returns>The part to print.</returns>
    ProtocolPart GetListenerPart(ProtocolPart part) => part;

    /// <summary>Applies the layer. On failure the implementation need not dispose <paramref name="connection"/>; the caller does.</summary>
    /// <param name="connection">The connection so far.</param>
    /// <param name="part">This layer's part of the address (name and fields).</param>
    /// <param name="cancellationToken">Cancels the layer (e.g. a handshake timeout).</param>
    /// <returns>The transformed connection, usually <c>connection.WithLayer(newStream, part)</c>.</returns>
    /// <exception cref="TransportException">The layer failed (<see cref="TransportError.LayerFailed"/> or <see cref="TransportError.InvalidAddress"/>).</exception>
    ValueTask<TransportConnection> ApplyAsync(TransportConnection connection, ProtocolPart part, CancellationToken cancellationToken = default);
}
