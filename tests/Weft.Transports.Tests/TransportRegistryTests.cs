using System.Collections.Concurrent;
using Weft.Testing;
using Weft.Transports.Net;
using Weft.Transports.Registry;

namespace Weft.Transports.Tests;

public sealed class TransportRegistryTests
{
    [Fact]
    public void CreateDefault_BuiltInPlugins_Registered()
    {
        Assert.Equal(["net", "noauth", "onion", "stripe", "unix", "ws", "wss"], TransportRegistry.CreateDefault().Names);
    }

    [Theory]
    [InlineData("net")]
    [InlineData("noauth")]
    public void Register_DuplicateName_Throws(string name)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();

        Assert.Throws<ArgumentException>(() => registry.Register(new RecordingLayer(name)));
    }

    [Theory]
    [InlineData("X")]
    [InlineData("h")]
    [InlineData("Hello")]
    public void Register_InvalidName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => new TransportRegistry().Register(new RecordingLayer(name)));
    }

    [Theory]
    [InlineData("cjdns:x", "no transport named 'cjdns'")]
    [InlineData("noauth", "'noauth' is a layer, not a transport")]
    [InlineData("net:h:1~net:h:2", "'net' is a transport and can only come first")]
    [InlineData("net:h:1~shs:key", "no layer named 'shs'")]
    public void CreateDialer_UnsupportedAddress_ThrowsUnsupportedWithReason(string text, string reason)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();

        var ex = Assert.Throws<TransportException>(() => registry.CreateDialer(Address.Parse(text)));

        Assert.Equal(TransportError.Unsupported, ex.Error);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(registry.CanDial(Address.Parse(text), out string? why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_OnionTransport_Unsupported()
    {
        CancellationToken ct = TestTimeout.Token();

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await TransportRegistry.CreateDefault().ListenAsync(Address.Parse("onion:x.onion:80"), cancellationToken: ct));

        Assert.Equal(TransportError.Unsupported, ex.Error);
    }

    [Fact]
    public async Task ThirdPartyLayers_StreamLayersAndCombinator_AppliedLeftToRightOnBothSides()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        var hello = new RecordingLayer();
        var combinator = new CountingCombinator();
        registry.Register(hello);
        registry.Register(combinator);
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("net:127.0.0.1:0~hello:a~multi:3~hello:b"), cancellationToken: ct);
        ValueTask<TransportConnection> accept = listener.AcceptAsync(ct);

        await using TransportConnection client = await registry.DialAsync(listener.Address, ct);
        await using TransportConnection server = await accept;

        Assert.Equal(3, combinator.InnerDials);
        Assert.Equal(listener.Address.Transport + "~hello:a", combinator.InnerAddressSeen!.ToString());
        Assert.Equal(listener.Address, client.Address);
        Assert.Equal(listener.Address, server.Address);
        Assert.Equal(ConnectionAuthentication.Authenticated, server.Authentication);
        Assert.Equal("b", server.PeerIdentity);
        Assert.Equal(4, hello.Events.Count(e => e == "Client:hello:a" || e == "Client:hello:b"));
        Assert.Equal(["Client:hello:a", "Client:hello:a", "Client:hello:a", "Client:hello:b"], hello.Events.Where(e => e.StartsWith("Client", StringComparison.Ordinal)));
        Assert.Contains("Server:hello:b", hello.Events);
        Assert.Equal([9, 8, 7], await RoundTripViaEchoAsync(client, server, [9, 8, 7], ct));
    }

    [Fact]
    public async Task NoAuth_BothSides_PassThroughMarkedUnauthenticated()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("unix:" + TestNet.UnixPath() + "~noauth"), cancellationToken: ct);
        ValueTask<TransportConnection> accept = listener.AcceptAsync(ct);

        await using TransportConnection client = await registry.DialAsync(listener.Address, ct);
        await using TransportConnection server = await accept;

        Assert.Equal(ConnectionAuthentication.Unauthenticated, client.Authentication);
        Assert.Equal(ConnectionAuthentication.Unauthenticated, server.Authentication);
        Assert.Equal("noauth", server.Address.Layers.Single().Name);
        Assert.IsAssignableFrom<IHalfCloseable>(client.Stream);
        Assert.Equal([1], await RoundTripViaEchoAsync(client, server, [1], ct));
        Assert.Single(listener.GetAdvertisedAddresses(AddressScope.Device, AdvertiseOptions.Default));
        Assert.Empty(listener.GetAdvertisedAddresses(AddressScope.Local, new AdvertiseOptions { LocalHost = "lan" }));
    }

    [Fact]
    public async Task NoAuth_WithFields_LayerFailsOnDial()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("net:127.0.0.1:0"), cancellationToken: ct);

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await registry.DialAsync(listener.Address.Append(ProtocolPart.Parse("noauth:x")), ct));

        Assert.Equal(TransportError.InvalidAddress, ex.Error);
    }

    [Fact]
    public async Task Listener_LayerFailsOrStalls_OtherPeersStillAcceptedAndErrorsReported()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.Register(new RecordingLayer());
        var errors = new ConcurrentQueue<Exception>();
        var options = new ListenerOptions { LayerTimeout = TimeSpan.FromMilliseconds(500), OnLayerError = (_, e) => errors.Enqueue(e) };
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("net:127.0.0.1:0~hello:secret"), options, ct);
        int port = NetEndpoint.FromPart(listener.Address.Transport, allowPortZero: false).Port;

        // A peer that connects and never says hello: its layer must time out without blocking anyone.
        await using TransportConnection staller = await registry.DialAsync(Address.Parse($"net:127.0.0.1:{port}"), ct);

        // A peer with the wrong token: its layer fails.
        await using TransportConnection wrong = await registry.DialAsync(Address.Parse($"net:127.0.0.1:{port}~hello:guess"), ct);

        // A good peer is accepted while the staller is still pending.
        await using TransportConnection good = await registry.DialAsync(listener.Address, ct);
        await using TransportConnection accepted = await listener.AcceptAsync(ct);
        Assert.Equal("secret", accepted.PeerIdentity);

        while (errors.Count < 2)
        {
            await Task.Delay(20, ct);
        }

        Assert.Contains(errors, e => e is TransportException { Error: TransportError.TimedOut });
        Assert.Contains(errors, e => e.Message.Contains("expected 'secret', got 'guess'", StringComparison.Ordinal));
        Assert.Equal(0, await staller.Stream.ReadAsync(new byte[1], ct));
    }

    [Fact]
    public async Task Listener_Disposed_PendingAcceptThrowsObjectDisposed()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        foreach (string address in new[] { "net:127.0.0.1:0", "net:127.0.0.1:0~noauth", "ws://127.0.0.1:0", "unix:" + TestNet.UnixPath() })
        {
            IConnectionListener listener = await registry.ListenAsync(Address.Parse(address), cancellationToken: ct);
            ValueTask<TransportConnection> pending = listener.AcceptAsync(ct);

            await listener.DisposeAsync();

            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending);
        }
    }

    private static async Task<byte[]> RoundTripViaEchoAsync(TransportConnection client, TransportConnection server, byte[] payload, CancellationToken ct)
    {
        Task echo = TestNet.EchoAsync(server, ct);
        byte[] back = await TestNet.RoundTripAsync(client, payload, ct);
        await echo.WaitAsync(ct);
        return back;
    }
}
