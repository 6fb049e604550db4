namespace Weft.Transports;

/// <summary>
/// A connected stream plus what is known about it: which side we are, the address it was made through
/// (transport and the layers applied so far), the remote end point and what the layers established about
/// the peer. Layers return a new instance with <see cref="WithLayer"/>; disposing disposes <see cref="Stream"/>.
/// </summary>
/// <remarks>The stream's own concurrency contract applies: one reader and one writer at a time.
/// Streams returned by the built-in transports implement <see cref="IHalfCloseable"/>.</remarks>
public sealed class TransportConnection : IAsyncDisposable
{
    // The connection this one was layered on (null for a transport's own connection): the layer stack, top down.
    private readonly TransportConnection? _below;

    /// <summary>Creates a connection as a transport would.</summary>
    /// <param name="stream">The connected stream.</param>
    /// <param name="role">Whether we dialled or accepted.</param>
    /// <param name="address">The transport address (for a server: the listener's bound address).</param>
    /// <param name="remoteEndPoint">A printable description of the peer's end point, if known.</param>
    public TransportConnection(Stream stream, ConnectionRole role, Address address, string? remoteEndPoint = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(address);
        Stream = stream;
        Role = role;
        Address = address;
        RemoteEndPoint = remoteEndPoint;
    }

    private TransportConnection(TransportConnection other, Stream stream, Address address, TransportConnection? below)
    {
        _below = below;
        Stream = stream;
        Role = other.Role;
        Address = address;
        RemoteEndPoint = other.RemoteEndPoint;
        Authentication = other.Authentication;
        PeerIdentity = other.PeerIdentity;
    }

    /// <summary>The connected stream (after the layers applied so far).</summary>
    public Stream Stream { get; }

    /// <summary>Whether this side dialled (<see cref="ConnectionRole.Client"/>) or accepted.</summary>
    public ConnectionRole Role { get; }

    /// <summary>The address the connection was made through: transport plus the layers applied so far.</summary>
    public Address Address { get; }

    /// <summary>The peer's end point as the transport reports it (e.g. <c>127.0.0.1:50312</c>), if known.</summary>
    public string? RemoteEndPoint { get; }

    /// <summary>What the layers established about the peer.</summary>
    public ConnectionAuthentication Authentication { get; private init; }

    /// <summary>The authenticated peer's identity as the security layer prints it (e.g. a base64 public key), or null.</summary>
    public string? PeerIdentity { get; private init; }

    /// <summary>A copy that carries <paramref name="stream"/> and has <paramref name="layer"/> appended to its address.</summary>
    /// <param name="stream">The transformed stream (may be the same stream).</param>
    /// <param name="layer">The layer part that produced it.</param>
    /// <returns>The new connection; the old one must not be used (it shares the underlying transport).</returns>
    public TransportConnection WithLayer(Stream stream, ProtocolPart layer)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(layer);
        return new TransportConnection(this, stream, Address.Append(layer), ReferenceEquals(stream, Stream) ? _below : this);
    }

    /// <summary>
    /// The first stream in the layer stack, from the top (<see cref="Stream"/>) down to the transport's own
    /// stream, that is a <typeparamref name="T"/>; e.g. <see cref="ILegStatisticsSource"/> under a secure layer.
    /// </summary>
    /// <typeparam name="T">The type or interface looked for.</typeparam>
    /// <returns>The stream, or null when no layer has one.</returns>
    public T? FindLayerStream<T>()
        where T : class
    {
        for (TransportConnection? connection = this; connection is not null; connection = connection._below)
        {
            if (connection.Stream is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>A copy that records what a layer established about the peer.</summary>
    /// <param name="authentication">The new state.</param>
    /// <param name="peerIdentity">The peer's identity when authenticated.</param>
    /// <returns>The new connection.</returns>
    public TransportConnection WithAuthentication(ConnectionAuthentication authentication, string? peerIdentity = null) =>
        new(this, Stream, Address, _below) { Authentication = authentication, PeerIdentity = peerIdentity };

    /// <summary>Disposes the stream (which closes the transport).</summary>
    /// <returns>A task that completes when the stream is disposed.</returns>
    public ValueTask DisposeAsync() => Stream.DisposeAsync();

    /// <summary>A description for logs: role, address and remote end point.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Role} {Address}" + (RemoteEndPoint is null ? string.Empty : $" ({RemoteEndPoint})");
}
