using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Security.Layers;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.Security.Tests.Layers;

/// <summary><c>shs</c> as an address layer, end to end through <see cref="MultiAddressServer"/> and <see cref="MultiAddressClient"/>.</summary>
public sealed class ShsAddressTests
{
    private static readonly byte[] s_networkKey = SHA256.HashData("weft-shs-address-tests"u8);

    [Fact]
    public void ListenerPart_MultiserverFixture_PrintsMultiserverKey()
    {
        using Ed25519Identity server = Fixtures.ServerIdentity();
        var layer = new SecretHandshakeLayer(new SecretHandshakeLayerOptions { Identity = server, NetworkKey = Fixtures.NetworkKey });

        ProtocolPart printed = layer.GetListenerPart(ProtocolPart.Parse("shs"));

        Assert.Equal("shs:" + Fixtures.ServerPublicKey, printed.ToString());
    }

    [Fact]
    public async Task Server_NetAndWsAtOnce_ClientDialsEachPrintedAlternativeAndDataFlowsBothWays()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using Ed25519Identity serverIdentity = Fixtures.ServerIdentity();
        using var clientIdentity = Ed25519Identity.Generate();
        await using MultiAddressServer server = await StartServerAsync(serverIdentity, SecretHandshake.AllowAnyClient, ct: ct);
        MultiAddress printed = server.GetAddress(AddressScope.Device)!;
        Assert.Equal(2, printed.Alternatives.Count);
        Assert.All(printed.Alternatives, a => Assert.Equal("shs:" + Fixtures.ServerPublicKey, a.Layers[^1].ToString()));

        TransportRegistry clientRegistry = TransportRegistry.CreateDefault();
        clientRegistry.AddSecretHandshake(clientIdentity, s_networkKey);
        foreach (Address alternative in printed.Alternatives)
        {
            var client = new MultiAddressClient(clientRegistry);
            await using TransportConnection dialled = await client.ConnectAsync(new MultiAddress([alternative]), ct);
            await using TransportConnection accepted = await server.AcceptAsync(ct);

            Assert.Equal(ConnectionAuthentication.Authenticated, dialled.Authentication);
            Assert.Equal(Fixtures.ServerPublicKey, dialled.PeerIdentity);
            Assert.Equal(ConnectionAuthentication.Authenticated, accepted.Authentication);
            Assert.Equal(clientIdentity.PublicKey.ToString(), accepted.PeerIdentity);
            Assert.Equal(alternative.Transport.Name, accepted.Address.Transport.Name);

            await ExchangeAsync(dialled.Stream, accepted.Stream, 300_000, ct);
            await ExchangeAsync(accepted.Stream, dialled.Stream, 300_000, ct);
        }
    }

    [Fact]
    public async Task Client_WrongServerKeyInAddress_FailsWithHandshakeRejected()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var stranger = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        var layerErrors = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MultiAddressServer server = await StartServerAsync(serverIdentity, SecretHandshake.AllowAnyClient, layerErrors, ct);
        string wrong = server.GetAddress(AddressScope.Device)!.Alternatives[0].ToString()
            .Replace(serverIdentity.PublicKey.ToString(), stranger.PublicKey.ToString(), StringComparison.Ordinal);

        SecureChannelException client = await DialFailureAsync(clientIdentity, wrong, ct);

        Assert.Equal(SecureChannelError.HandshakeRejected, client.Error);
        Assert.Contains("not the public key that was dialled", client.Message, StringComparison.Ordinal);
        Assert.Equal(SecureChannelError.ClientAuthenticationFailed, Inner(await layerErrors.Task.WaitAsync(ct)).Error);
    }

    [Fact]
    public async Task Client_NotAuthorised_ClientRejectedAndServerReportsUnauthorised()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        var layerErrors = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MultiAddressServer server = await StartServerAsync(
            serverIdentity, (key, _) => ValueTask.FromResult(key != clientIdentity.PublicKey), layerErrors, ct);

        SecureChannelException client = await DialFailureAsync(clientIdentity, server.GetAddress(AddressScope.Device)!.Alternatives[0].ToString(), ct);

        Assert.Equal(SecureChannelError.HandshakeRejected, client.Error);
        SecureChannelException serverSide = Inner(await layerErrors.Task.WaitAsync(ct));
        Assert.Equal(SecureChannelError.ClientUnauthorized, serverSide.Error);
        Assert.Contains("authorisation callback rejected", serverSide.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Layer_DefaultAuthorize_RefusesEveryClient()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(serverIdentity, s_networkKey);
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(registry, MultiAddress.Parse("net:127.0.0.1:0~shs"), cancellationToken: ct);

        SecureChannelException client = await DialFailureAsync(clientIdentity, server.GetAddress(AddressScope.Device)!.ToString(), ct);

        Assert.Equal(SecureChannelError.HandshakeRejected, client.Error);
    }

    [Fact]
    public async Task Client_WrongNetworkKey_FailsWithNetworkKeyMismatch()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        await using MultiAddressServer server = await StartServerAsync(serverIdentity, SecretHandshake.AllowAnyClient, ct: ct);
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(clientIdentity, RandomNumberGenerator.GetBytes(32));

        TransportException failure = await Assert.ThrowsAsync<TransportException>(
            async () => await registry.DialAsync(server.GetAddress(AddressScope.Device)!.Alternatives[0], ct));

        Assert.Equal(SecureChannelError.NetworkKeyMismatch, Inner(failure).Error);
    }

    [Fact]
    public async Task Client_SeedField_AuthenticatesAsSeedIdentityAndAddressHidesSeed()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        using Ed25519Identity invite = Ed25519Identity.FromSeed(seed);
        await using MultiAddressServer server = await StartServerAsync(
            serverIdentity, (key, _) => ValueTask.FromResult(key == invite.PublicKey), ct: ct);
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(clientIdentity, s_networkKey);
        string address = server.GetAddress(AddressScope.Device)!.Alternatives[0] + ":" + Convert.ToBase64String(seed);

        await using TransportConnection dialled = await registry.DialAsync(Address.Parse(address), ct);
        await using TransportConnection accepted = await server.AcceptAsync(ct);

        Assert.Equal(invite.PublicKey.ToString(), accepted.PeerIdentity);
        Assert.DoesNotContain(Convert.ToBase64String(seed), dialled.Address.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(seed), dialled.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("shs")]
    [InlineData("shs:notbase64")]
    [InlineData("shs:AAAA")]
    [InlineData("shs:+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=:short")]
    [InlineData("shs:+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=:a:b")]
    public void ParseClientPart_BadFields_InvalidAddress(string part)
    {
        TransportException error = Assert.Throws<TransportException>(
            () => SecretHandshakeLayer.ParseClientPart(ProtocolPart.Parse(part), out _, out _));

        Assert.Equal(TransportError.InvalidAddress, error.Error);
        Assert.DoesNotContain("short", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseClientPart_MultiserverFixture_KeyAndSeed()
    {
        string seed = Convert.ToBase64String(Fixtures.ServerSeed);

        SecretHandshakeLayer.ParseClientPart(ProtocolPart.Parse("shs:" + Fixtures.ServerPublicKey + ":" + seed), out Ed25519PublicKey key, out byte[]? parsedSeed);

        Assert.Equal(Fixtures.ServerPublicKey, key.ToString());
        Assert.Equal(Fixtures.ServerSeed, parsedSeed);
    }

    [Fact]
    public void Options_NetworkKeyOfWrongSize_Throws()
    {
        using var identity = Ed25519Identity.Generate();

        Assert.Throws<ArgumentException>(() => new SecretHandshakeLayer(new SecretHandshakeLayerOptions { Identity = identity, NetworkKey = new byte[31] }));
        Assert.Throws<ArgumentException>(() => new SecretHandshakeLayer(new SecretHandshakeLayerOptions { NetworkKey = new byte[32] }));
        Assert.Throws<FormatException>(() => SecretHandshakeLayerOptions.ParseNetworkKey("AAAA"));
        Assert.Equal(Fixtures.NetworkKey, SecretHandshakeLayerOptions.ParseNetworkKey(Convert.ToBase64String(Fixtures.NetworkKey)));
    }

    [Fact]
    public async Task Server_ListenWithAnotherKey_AcceptFailsWithInvalidAddress()
    {
        CancellationToken ct = TestTimeout.Token(30);
        using var serverIdentity = Ed25519Identity.Generate();
        using var clientIdentity = Ed25519Identity.Generate();
        var layer = new SecretHandshakeLayer(new SecretHandshakeLayerOptions { Identity = serverIdentity, NetworkKey = s_networkKey });
        var (a, b) = InMemoryDuplex.CreatePair();
        await using var connection = new TransportConnection(b, ConnectionRole.Server, Address.Parse("net:127.0.0.1:1"));
        await a.DisposeAsync();

        TransportException error = await Assert.ThrowsAsync<TransportException>(
            async () => await layer.ApplyAsync(connection, new ProtocolPart("shs", clientIdentity.PublicKey.ToString()), ct));

        Assert.Equal(TransportError.InvalidAddress, error.Error);
    }

    private static async Task<MultiAddressServer> StartServerAsync(
        Ed25519Identity identity,
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize,
        TaskCompletionSource<Exception>? layerErrors = null,
        CancellationToken ct = default)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(identity, s_networkKey, authorize);
        var options = new MultiAddressServerOptions
        {
            Listener = new ListenerOptions { OnLayerError = (_, e) => layerErrors?.TrySetResult(e) },
        };
        return await MultiAddressServer.StartAsync(registry, MultiAddress.Parse("net:127.0.0.1:0~shs;ws://127.0.0.1:0~shs"), options, ct);
    }

    private static async Task<SecureChannelException> DialFailureAsync(Ed25519Identity clientIdentity, string address, CancellationToken ct)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(clientIdentity, s_networkKey);
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
