using Weft.Transports.Registry;
using Weft.Transports.Stripe;

namespace Weft.Transports.Tests.Stripe;

/// <summary>Connects stripe bundles over loopback through the real registry.</summary>
internal static class StripeFixture
{
    /// <summary>Listens on <c>{transport}~stripe:legs</c> (default <c>net:127.0.0.1:0</c>), dials it, and returns both ends and the listener.</summary>
    public static async Task<(TransportConnection Client, TransportConnection Server, IConnectionListener Listener)> ConnectAsync(
        int legs, StripeOptions? options = null, string transport = "net:127.0.0.1:0", CancellationToken cancellationToken = default)
    {
        TransportRegistry registry = Registry(options);
        IConnectionListener listener = await registry.ListenAsync(Address.Parse($"{transport}~stripe:{legs}"), cancellationToken: cancellationToken);
        try
        {
            ValueTask<TransportConnection> accept = listener.AcceptAsync(cancellationToken);
            TransportConnection client = await Registry(options).DialAsync(listener.Address, cancellationToken);
            TransportConnection server = await accept;
            return (client, server, listener);
        }
        catch
        {
            await listener.DisposeAsync();
            throw;
        }
    }

    /// <summary>A default registry whose <c>stripe</c> uses <paramref name="options"/>.</summary>
    public static TransportRegistry Registry(StripeOptions? options = null) =>
        TransportRegistry.CreateDefault(new DefaultTransportOptions { Stripe = options ?? StripeOptions.Default });
}
