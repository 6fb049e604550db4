using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Security.Layers;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.Security.Tests.Noise;

/// <summary><c>noise</c> as an address layer, end to end through <see cref="MultiAddressServer"/> and <see cref="MultiAddressClient"/>.</summary>
public sealed class NoiseAddressTests
{
    [Fact]
    public void ListenerPart_PrintsOwnKeyAsShsDoes()
    {
        using Ed25519Identity server = Fixtures.ServerIdentity();
        var layer = new NoiseLayer(server);

        Assert.Equal("noise:" + Fixtures.ServerPublicKey, layer.GetListenerPart(ProtocolPart.Parse("noise")).ToString());
        Assert.Equal("noise:" + Fixtures.ServerPublicKey, layer.GetListenerPart(ProtocolPart.Parse("noise:" + Fixtures.ServerPublicKey)).ToString());
    }

    [Fact]
    public async Task Server_NetAndWsAtOnce_ClientDialsEachPrintedAlternativeAndDataFlowsBothWays()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using Ed25519Identity serverIdentity = Fixtures.ServerIdentity();
        using var clientIdentity = Ed25519Identity.Generate();
        await using MultiAddressServer server = await StartServerAsync(serverIdentity, NoiseHandshake.AllowAnyInitiator, ct: ct);
        MultiAddress printed = server.GetAddress(AddressScope.Device)!;
        Assert.Equal(2, printed.Alternatives.Count);
        Assert.All(printed.Alternatives, a => Assert.Equal("noise:" + Fixtures.ServerPublicKey, a.Layers[^1].ToString()));

        TransportRegistry clientRegistry = TransportRegistry.CreateDefault();
        clientRegistry.AddNoise(clientIdentity);
        foreach (Address alternative in printed.Alternatives)
        {
            var client = new MultiAddressClient(clientRegistry);
            await using TransportConnection dialled = await client.ConnectAsync(new MultiAddress([alternative]), ct);
            await using TransportConnection accepted = await server.AcceptAsync(ct);

            Assert.Equal(ConnectionAuthentication.Authenticated, dialled.Authentication);
            Assert.Equal(Fixtures.ServerPublicKey, dialled.PeerIdentity);
            Assert.Equal(ConnectionAuthentication.Authenticated, accepted.Authentication);
            Assert.Equal(clientIdentity.PublicKey.ToString(), accepted.PeerIdentity);
            Assert.Equal("noise:" + Fixtures.ServerPublicKey, dialled.Address.Layers[^1].ToString());

            await ExchangeAsync(dialled.Stream, accepted.Stream, 300_000, ct);
            await ExchangeAsync(accepted.Stream, dialled.Stream, 300_000, ct);
        }
    }

    [Fact]
    public async Task OneIdentity_ShsAndNoiseOnDifferentAddresses_BothAuthenticateTheSameKey()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        byte[] shsKey = RandomNumberGenerator.GetBytes(32);
        TransportRegistry serverRegistry = TransportRegistry.CreateDefault();
        serverRegistry.AddNoise(serverIdentity, new NoiseLayerOptions { Authorize = NoiseHandshake.AllowAnyInitiator });
        serverRegistry.AddSecretHandshake(serverIdentity, shsKey, SecretHandshake.AllowAnyClient);
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(
            serverRegistry, MultiAddress.Parse("net:127.0.0.1:0~noise;net:127.0.0.1:0~shs"), cancellationToken: ct);
        TransportRegistry clientRegistry = TransportRegistry.CreateDefault();
        clientRegistry.AddNoise(clientIdentity);
        clientRegistry.AddSecretHandshake(clientIdentity, shsKey);

        foreach (Address alternative in server.GetAddress(AddressScope.Device)!.Alternatives)
        {
            Assert.EndsWith(":" + serverIdentity.PublicKey, alternative.ToString(), StringComparison.Ordinal);
            await using TransportConnection dialled = await clientRegistry.DialAsync(alternative, ct);
            await using TransportConnection accepted = await server.AcceptAsync(ct);
            Assert.Equal(clientIdentity.PublicKey.ToString(), accepted.PeerIdentity);
            Assert.Equal(alternative.Layers[^1].Name == "noise" ? typeof(NoiseStream) : typeof(BoxStream), dialled.Stream.GetType());
            await ExchangeAsync(dialled.Stream, accepted.Stream, 10_000, ct);
        }
    }

    [Fact]
    public async Task Client_WrongServerKeyInAddress_FailsWithHandshakeRejectedAndListenerKeepsServing()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var stranger = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        var layerErrors = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MultiAddressServer server = await StartServerAsync(serverIdentity, NoiseHandshake.AllowAnyInitiator, layerErrors, ct);
        string right = server.GetAddress(AddressScope.Device)!.Alternatives[0].ToString();
        string wrong = right.Replace(serverIdentity.PublicKey.ToString(), stranger.PublicKey.ToString(), StringComparison.Ordinal);

        // A healthy connection made before the failed one is not disturbed by it.
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(clientIdentity);
        await using TransportConnection healthy = await registry.DialAsync(Address.Parse(right), ct);
        await using TransportConnection healthyAccepted = await server.AcceptAsync(ct);

        SecureChannelException client = await DialFailureAsync(clientIdentity, wrong, ct);

        Assert.Equal(SecureChannelError.HandshakeRejected, client.Error);
        Assert.Contains("different key than the responder's own", client.Message, StringComparison.Ordinal);
        Assert.Equal(SecureChannelError.ClientAuthenticationFailed, Inner(await layerErrors.Task.WaitAsync(ct)).Error);
        await ExchangeAsync(healthy.Stream, healthyAccepted.Stream, 100_000, ct);
        await ExchangeAsync(healthyAccepted.Stream, healthy.Stream, 100_000, ct);
    }

    [Fact]
    public async Task Client_NotAuthorised_ClientToldAndServerReportsUnauthorised()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        var layerErrors = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MultiAddressServer server = await StartServerAsync(
            serverIdentity, (key, _) => ValueTask.FromResult(key != clientIdentity.PublicKey), layerErrors, ct);

        SecureChannelException client = await DialFailureAsync(clientIdentity, server.GetAddress(AddressScope.Device)!.Alternatives[0].ToString(), ct);

        Assert.Equal(SecureChannelError.HandshakeRejected, client.Error);
        Assert.Contains(clientIdentity.PublicKey.ToString(), client.Message, StringComparison.Ordinal);
        SecureChannelException serverSide = Inner(await layerErrors.Task.WaitAsync(ct));
        Assert.Equal(SecureChannelError.ClientUnauthorized, serverSide.Error);
    }

    [Fact]
    public async Task Layer_DefaultOptions_RefuseEveryInitiator()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(serverIdentity);
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(registry, MultiAddress.Parse("net:127.0.0.1:0~noise"), cancellationToken: ct);

        SecureChannelException client = await DialFailureAsync(clientIdentity, server.GetAddress(AddressScope.Device)!.ToString(), ct);

        Assert.Equal(SecureChannelError.HandshakeRejected, client.Error);
        Assert.Contains("does not authorise", client.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_WrongNetworkKey_Rejected()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        await using MultiAddressServer server = await StartServerAsync(serverIdentity, NoiseHandshake.AllowAnyInitiator, ct: ct);
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(clientIdentity, new NoiseLayerOptions { NetworkKey = RandomNumberGenerator.GetBytes(32) });

        TransportException failure = await Assert.ThrowsAsync<TransportException>(
            async () => await registry.DialAsync(server.GetAddress(AddressScope.Device)!.Alternatives[0], ct));

        Assert.Equal(SecureChannelError.HandshakeRejected, Inner(failure).Error);
        Assert.Contains("network keys", Inner(failure).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_NotANoiseServer_ClearErrorNoHang()
    {
        // A plain TCP listener that closes every connection: the dial fails fast with a message, not a timeout.
        CancellationToken ct = TestTimeout.Token(30);
        using var clientIdentity = Ed25519Identity.Generate();
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        Task closer = Task.Run(async () =>
        {
            using Socket s = await listener.AcceptSocketAsync(ct);
            byte[] msg1 = new byte[130];
            await s.ReceiveAsync(msg1, ct);
        }, ct);
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;

        SecureChannelException client = await DialFailureAsync(clientIdentity, $"net:127.0.0.1:{port}~noise:{Fixtures.ServerPublicKey}", ct);

        Assert.Equal(SecureChannelError.HandshakeRejected, client.Error);
        Assert.Contains("hung up", client.Message, StringComparison.Ordinal);
        await closer;
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("noise:notbase64")]
    [InlineData("noise:AAAA")]
    [InlineData("noise:+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=:extra")]
    public void ParseDialPart_BadFields_InvalidAddress(string part)
    {
        TransportException error = Assert.Throws<TransportException>(() => NoiseLayer.ParseDialPart(ProtocolPart.Parse(part)));

        Assert.Equal(TransportError.InvalidAddress, error.Error);
    }

    [Fact]
    public void ParseDialPart_ShsFormOfTheKey_Accepted()
    {
        Assert.Equal(Fixtures.ServerPublicKey, NoiseLayer.ParseDialPart(ProtocolPart.Parse("noise:" + Fixtures.ServerPublicKey)).ToString());
    }

    [Fact]
    public void Options_Invalid_Throw()
    {
        using var identity = Ed25519Identity.Generate();

        Assert.Throws<ArgumentException>(() => new NoiseLayer(identity, new NoiseLayerOptions { NetworkKey = new byte[16] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseLayer(identity, new NoiseLayerOptions { HandshakeTimeout = TimeSpan.FromSeconds(-1) }));
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(identity);
        Assert.Throws<ArgumentException>(() => registry.AddNoise(identity));
    }

    [Fact]
    public async Task Server_ListenWithAnotherKey_AcceptFailsWithInvalidAddress()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var other = Ed25519Identity.Generate();
        var layer = new NoiseLayer(serverIdentity);
        var (a, b) = InMemoryDuplex.CreatePair();
        await using var connection = new TransportConnection(b, ConnectionRole.Server, Address.Parse("net:127.0.0.1:1"));
        await a.DisposeAsync();

        TransportException error = await Assert.ThrowsAsync<TransportException>(
            async () => await layer.ApplyAsync(connection, new ProtocolPart("noise", other.PublicKey.ToString()), ct));

        Assert.Equal(TransportError.InvalidAddress, error.Error);
    }

    private static async Task<MultiAddressServer> StartServerAsync(
        Ed25519Identity identity,
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize,
        TaskCompletionSource<Exception>? layerErrors = null,
        CancellationToken ct = default)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(identity, new NoiseLayerOptions { Authorize = authorize });
        var options = new MultiAddressServerOptions
        {
            Listener = new ListenerOptions { OnLayerError = (_, e) => layerErrors?.TrySetResult(e) },
        };
        return await MultiAddressServer.StartAsync(registry, MultiAddress.Parse("net:127.0.0.1:0~noise;ws://127.0.0.1:0~noise"), options, ct);
    }

    private static async Task<SecureChannelException> DialFailureAsync(Ed25519Identity clientIdentity, string address, CancellationToken ct)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(clientIdentity);
        TransportException failure = await Assert.ThrowsAsync<TransportException>(
            async () => await registry.DialAsync(Address.Parse(address), ct));
        Assert.Equal(TransportError.LayerFailed, failure.Error);
        return Inner(failure);
    }

    private static SecureChannelException Inner(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is SecureChannelException secure)
            {
                return secure;
            }
        }

        throw new Xunit.Sdk.XunitException($"No SecureChannelException inside: {error}");
    }

    private static async Task ExchangeAsync(Stream writer, Stream reader, int length, CancellationToken ct)
    {
        byte[] data = Patterns.Create(length, seed: length);
        Task write = writer.WriteAsync(data, ct).AsTask();
        byte[] received = new byte[length];
        await reader.ReadExactlyAsync(received, ct);
        await write;
        Assert.Equal(data, received);
    }
}
