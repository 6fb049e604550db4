using System.Net.Sockets;
using Weft.Transports.Net;
using Weft.Transports.Registry;

namespace Weft.Transports.Socks;

/// <summary>
/// The <c>onion</c> transport (client only): <c>onion:HOST:PORT</c> is reached through a SOCKS5 proxy such as
/// Tor (CONNECT with domain-name addressing). Proxies are tried in order (<see cref="OnionTransportOptions.Proxies"/>);
/// the next one only when a proxy cannot be reached. Streams are <see cref="SocketStream"/> to the proxy.
/// </summary>
public sealed class OnionTransport : ITransport
{
    /// <summary>The protocol name, <c>onion</c>.</summary>
    public const string ProtocolName = "onion";

    private readonly NetEndpoint[] _proxies;

    /// <summary>Creates the transport.</summary>
    /// <param name="options">The proxies; null for the defaults.</param>
    public OnionTransport(OnionTransportOptions? options = null)
    {
        _proxies = [.. (options ?? new OnionTransportOptions()).Proxies];
        if (_proxies.Length == 0)
        {
            throw new ArgumentException("At least one SOCKS5 proxy is needed.", nameof(options));
        }
    }

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <inheritdoc/>
    public bool CanDial => true;

    /// <inheritdoc/>
    public bool CanListen => false;

    /// <inheritdoc/>
    public IConnectionDialer CreateDialer(ProtocolPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return new OnionDialer(new Address(part), NetEndpoint.FromPart(part, allowPortZero: false), _proxies);
    }

    /// <inheritdoc/>
    public ValueTask<IConnectionListener> ListenAsync(ProtocolPart part, CancellationToken cancellationToken = default) =>
        throw new TransportException(TransportError.Unsupported, "The onion transport cannot listen (publish an onion service with Tor and listen on net).");
}
