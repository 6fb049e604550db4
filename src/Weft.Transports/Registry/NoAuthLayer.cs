namespace Weft.Transports.Registry;

/// <summary>
/// multiserver's <c>noauth</c>: passes the stream through unchanged and marks the connection
/// <see cref="ConnectionAuthentication.Unauthenticated"/>. For device scope only (Unix sockets, loopback):
/// addresses with it are advertised only in <see cref="AddressScope.Device"/>. It takes no fields.
/// </summary>
public sealed class NoAuthLayer : IStreamLayer
{
    /// <summary>The protocol name, <c>noauth</c>.</summary>
    public const string ProtocolName = "noauth";

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <inheritdoc/>
    public bool IsAdvertisedIn(AddressScope scope) => scope == AddressScope.Device;

    /// <inheritdoc/>
    public ValueTask<TransportConnection> ApplyAsync(TransportConnection connection, ProtocolPart part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(part);
        if (part.Fields.Count != 0)
        {
            throw new TransportException(TransportError.InvalidAddress, $"'{part}': noauth takes no fields.");
        }

        return ValueTask.FromResult(connection.WithLayer(connection.Stream, part).WithAuthentication(ConnectionAuthentication.Unauthenticated));
    }
}
