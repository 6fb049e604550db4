using Weft.Transports.Net;

namespace Weft.Transports.Socks;

/// <summary>Options for the <c>onion</c> transport.</summary>
public sealed class OnionTransportOptions
{
    /// <summary>
    /// SOCKS5 proxies (Tor) to try in order; the next is tried only when a proxy cannot be reached.
    /// Default: 127.0.0.1:9050 (the tor daemon) then 127.0.0.1:9150 (Tor Browser).
    /// </summary>
    public IReadOnlyList<NetEndpoint> Proxies { get; init; } =
    [
        new NetEndpoint("127.0.0.1", 9050),
        new NetEndpoint("127.0.0.1", 9150),
    ];
}
