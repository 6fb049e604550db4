namespace Weft.Transports.Registry;

/// <summary>
/// A transport plugin: the first part of an address (<c>net</c>, <c>unix</c>, <c>ws</c>, <c>onion</c>…).
/// Register it with <see cref="TransportRegistry.Register(ITransport)"/>.
/// </summary>
public interface ITransport
{
    /// <summary>The protocol name this plugin handles (<c>[a-z][a-z0-9-]+</c>).</summary>
    string Name { get; }

    /// <summary>Whether <see cref="CreateDialer"/> is supported.</summary>
    bool CanDial { get; }

    /// <summary>Whether <see cref="ListenAsync"/> is supported.</summary>
    bool CanListen { get; }

    /// <summary>Validates <paramref name="part"/> and returns a dialer for it. Does no I/O.</summary>
    /// <param name="part">The transport part, whose name is <see cref="Name"/>.</param>
    /// <returns>A dialer whose connections have role <see cref="ConnectionRole.Client"/>.</returns>
    /// <exception cref="TransportException">The fields are invalid (<see cref="TransportError.InvalidAddress"/>) or dialling is unsupported.</exception>
    IConnectionDialer CreateDialer(ProtocolPart part);

    /// <summary>Starts listening on <paramref name="part"/>.</summary>
    /// <param name="part">The transport part, whose name is <see cref="Name"/>.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="TransportException">The fields are invalid or the listener could not be started.</exception>
    ValueTask<IConnectionListener> ListenAsync(ProtocolPart part, CancellationToken cancellationToken = default);
}
