using Weft.Transports.Socks;
using Weft.Transports.WebSockets;

namespace Weft.Transports.Registry;

/// <summary>Options for the built-in plugins registered by <see cref="TransportRegistry.CreateDefault"/>.</summary>
public sealed class DefaultTransportOptions
{
    /// <summary>Options for <c>ws</c> and <c>wss</c> (certificates, trust). Default: <see cref="WebSocketTransportOptions"/> defaults.</summary>
    public WebSocketTransportOptions WebSockets { get; init; } = new();

    /// <summary>Options for <c>onion</c> (the SOCKS5 proxies). Default: 127.0.0.1:9050 then 127.0.0.1:9150.</summary>
    public OnionTransportOptions Onion { get; init; } = new();

    /// <summary>Options for <c>stripe</c> (windows, timeouts, limits). Default: <see cref="Stripe.StripeOptions.Default"/>.</summary>
    public Stripe.StripeOptions Stripe { get; init; } = Weft.Transports.Stripe.StripeOptions.Default;
}
