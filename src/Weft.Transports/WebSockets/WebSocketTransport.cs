using System.Net.Security;
using Weft.Transports.Registry;

namespace Weft.Transports.WebSockets;

/// <summary>
/// The <c>ws</c> and <c>wss</c> transports (one instance per scheme): <c>ws://HOST[:PORT][/PATH]</c>.
/// The server is Kestrel with a WebSocket endpoint at the path (default <c>/</c>); the client is
/// <see cref="System.Net.WebSockets.ClientWebSocket"/>. Both carry binary messages and return
/// <see cref="WebSocketConnectionStream"/>. wss needs a server certificate and can trust a pinned or
/// CA-issued self-signed certificate on the client (<see cref="WebSocketTransportOptions"/>).
/// </summary>
public sealed class WebSocketTransport : ITransport
{
    private readonly WebSocketTransportOptions _options;
    private readonly Lazy<RemoteCertificateValidationCallback?> _validation;

    /// <summary>Creates the transport for one scheme.</summary>
    /// <param name="secure">True for <c>wss</c>, false for <c>ws</c>.</param>
    /// <param name="options">Certificates, trust and timeouts; null for the defaults.</param>
    public WebSocketTransport(bool secure, WebSocketTransportOptions? options = null)
    {
        Secure = secure;
        _options = options ?? new WebSocketTransportOptions();
        _options.Validate();
        _validation = new Lazy<RemoteCertificateValidationCallback?>(() => CertificateFiles.CreateValidation(_options));
    }

    /// <summary>Whether this is <c>wss</c>.</summary>
    public bool Secure { get; }

    /// <inheritdoc/>
    public string Name => Secure ? "wss" : "ws";

    /// <inheritdoc/>
    public bool CanDial => true;

    /// <inheritdoc/>
    public bool CanListen => true;

    /// <inheritdoc/>
    public IConnectionDialer CreateDialer(ProtocolPart part)
    {
        WebSocketEndpoint endpoint = WebSocketEndpoint.FromPart(part);
        if (endpoint.Port == 0)
        {
            throw new TransportException(TransportError.InvalidAddress, $"'{part}': port 0 cannot be dialled.");
        }

        return new WebSocketDialer(new Address(part), endpoint, _options, Secure ? _validation : null);
    }

    /// <inheritdoc/>
    public ValueTask<IConnectionListener> ListenAsync(ProtocolPart part, CancellationToken cancellationToken = default)
    {
        WebSocketEndpoint endpoint = WebSocketEndpoint.FromPart(part);
        return WebSocketListener.StartAsync(endpoint, _options, cancellationToken);
    }
}
