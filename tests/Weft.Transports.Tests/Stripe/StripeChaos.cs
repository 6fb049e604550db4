using System.Net;
using Weft.Testing;
using Weft.Transports.Registry;
using Weft.Transports.Stripe;

namespace Weft.Transports.Tests.Stripe;

/// <summary>A stripe bundle whose legs each pass through one <see cref="ChaosProxy"/> (one proxied connection per leg).</summary>
internal sealed class StripeChaos : IAsyncDisposable
{
    private StripeChaos(IConnectionListener listener, ChaosProxy proxy, TransportConnection client, TransportConnection server)
    {
        Listener = listener;
        Proxy = proxy;
        Client = client;
        Server = server;
    }

    public IConnectionListener Listener { get; }

    public ChaosProxy Proxy { get; }

    public TransportConnection Client { get; }

    public TransportConnection Server { get; }

    public StripeStream ClientStream => (StripeStream)Client.Stream;

    public StripeStream ServerStream => (StripeStream)Server.Stream;

    public static async Task<StripeChaos> ConnectAsync(int legs, ChaosProxyOptions? proxyOptions, StripeOptions? options, CancellationToken cancellationToken)
    {
        IConnectionListener listener = await StripeFixture.Registry(options).ListenAsync(Address.Parse($"net:127.0.0.1:0~stripe:{legs}"), cancellationToken: cancellationToken);
        ChaosProxy? proxy = null;
        try
        {
            proxy = ChaosProxy.Start(new IPEndPoint(IPAddress.Loopback, RawLeg.Port(listener.Address)), proxyOptions);
            ValueTask<TransportConnection> accept = listener.AcceptAsync(cancellationToken);
            TransportConnection client = await StripeFixture.Registry(options).DialAsync(Address.Parse($"net:127.0.0.1:{proxy.EndPoint.Port}~stripe:{legs}"), cancellationToken);
            TransportConnection server = await accept;
            return new StripeChaos(listener, proxy, client, server);
        }
        catch
        {
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }

            await listener.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="forward"/> bytes client → server and <paramref name="backward"/> server → client at
    /// once, each side half-closing after its bytes and reading the other to end of stream; asserts both SHA-256s.
    /// </summary>
    public async Task TransferBothWaysAndVerifyAsync(long forward, long backward, int seed, CancellationToken cancellationToken)
    {
        Task<byte[]> sendForward = Task.Run(() => SendAsync(Client.Stream, forward, seed, cancellationToken), cancellationToken);
        Task<byte[]> sendBackward = Task.Run(() => SendAsync(Server.Stream, backward, seed + 1, cancellationToken), cancellationToken);
        Task<(long Length, byte[] Sha256)> readForward = Task.Run(() => Patterns.ReadAndHashAsync(Server.Stream, cancellationToken: cancellationToken), cancellationToken);
        Task<(long Length, byte[] Sha256)> readBackward = Task.Run(() => Patterns.ReadAndHashAsync(Client.Stream, cancellationToken: cancellationToken), cancellationToken);
        await Task.WhenAll(sendForward, sendBackward, readForward, readBackward).WaitAsync(cancellationToken);
        Assert.Equal(forward, readForward.Result.Length);
        Assert.Equal(backward, readBackward.Result.Length);
        Assert.Equal(Convert.ToHexString(sendForward.Result), Convert.ToHexString(readForward.Result.Sha256));
        Assert.Equal(Convert.ToHexString(sendBackward.Result), Convert.ToHexString(readBackward.Result.Sha256));
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        await Proxy.DisposeAsync();
        await Listener.DisposeAsync();
    }

    private static async Task<byte[]> SendAsync(Stream stream, long length, int seed, CancellationToken cancellationToken)
    {
        byte[] hash = await Patterns.WriteAsync(stream, length, seed, cancellationToken: cancellationToken);
        await ((IHalfCloseable)stream).CompleteWritesAsync(cancellationToken);
        return hash;
    }
}
