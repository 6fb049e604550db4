using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Testing;

namespace Weft.Security.Tests.Noise;

/// <summary>The handshake end to end, and every way it can be refused or attacked; each ends in a clear error and a closed connection.</summary>
public sealed class NoiseHandshakeTests
{
    [Fact]
    public async Task Handshake_Tcp_AuthenticatesBothKeysAndExchangesDataWithHalfClose()
    {
        CancellationToken ct = TestTimeout.Token();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(ct);
        using var server = Ed25519Identity.Generate();
        using var client = Ed25519Identity.Generate();
        Ed25519PublicKey? seen = null;

        Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(
            s, server, (key, _) => { seen = key; return ValueTask.FromResult(true); }, cancellationToken: ct).AsTask();
        await using NoiseStream initiator = await NoiseHandshake.InitiatorAsync(c, client, server.PublicKey, cancellationToken: ct);
        await using NoiseStream responder = await responding;

        Assert.Equal(server.PublicKey, initiator.RemotePublicKey);
        Assert.Equal(client.PublicKey, responder.RemotePublicKey);
        Assert.Equal(client.PublicKey, seen);
        Assert.Equal(initiator.GetHandshakeHash(), responder.GetHandshakeHash());

        await initiator.WriteAsync("ping"u8.ToArray(), ct);
        await initiator.CompleteWritesAsync(ct);
        Assert.Equal("ping"u8.ToArray(), await Fixtures.ReadToEndAsync(responder, ct));
        Assert.True(responder.ReadsCompleted);

        // Half-close: the responder can still answer after the initiator's close message.
        await responder.WriteAsync("pong"u8.ToArray(), ct);
        await responder.CompleteWritesAsync(ct);
        Assert.Equal("pong"u8.ToArray(), await Fixtures.ReadToEndAsync(initiator, ct));
    }

    [Fact]
    public async Task Handshake_SameNetworkKey_Succeeds()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var (initiator, responder) = await RunAsync(new NoiseOptions { NetworkKey = key }, new NoiseOptions { NetworkKey = key });
        Assert.IsType<NoiseStream>(await initiator);
        Assert.IsType<NoiseStream>(await responder);
    }

    [Fact]
    public async Task Handshake_WrongResponderKey_InitiatorRejectedAndResponderCannotAuthenticate()
    {
        using var stranger = Ed25519Identity.Generate();
        var (initiator, responder) = await RunAsync(dialled: stranger.PublicKey);

        SecureChannelException i = await Assert.ThrowsAsync<SecureChannelException>(() => initiator);
        SecureChannelException r = await Assert.ThrowsAsync<SecureChannelException>(() => responder);
        Assert.Equal(SecureChannelError.HandshakeRejected, i.Error);
        Assert.Contains("different key than the responder's own", i.Message, StringComparison.Ordinal);
        Assert.Equal(SecureChannelError.ClientAuthenticationFailed, r.Error);
        Assert.Contains("dialled a different key", r.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Handshake_NetworkKeysDiffer_BothSidesFail(bool initiatorHasKey, bool responderHasKey)
    {
        var a = new NoiseOptions { NetworkKey = initiatorHasKey ? RandomNumberGenerator.GetBytes(32) : default };
        var b = new NoiseOptions { NetworkKey = responderHasKey ? RandomNumberGenerator.GetBytes(32) : default };
        var (initiator, responder) = await RunAsync(a, b);

        Assert.Equal(SecureChannelError.HandshakeRejected, (await Assert.ThrowsAsync<SecureChannelException>(() => initiator)).Error);
        Assert.Equal(SecureChannelError.ClientAuthenticationFailed, (await Assert.ThrowsAsync<SecureChannelException>(() => responder)).Error);
    }

    [Fact]
    public async Task Handshake_InitiatorNotAuthorised_InitiatorToldAndResponderReportsUnauthorised()
    {
        var (initiator, responder) = await RunAsync(authorize: (_, _) => ValueTask.FromResult(false));

        SecureChannelException i = await Assert.ThrowsAsync<SecureChannelException>(() => initiator);
        SecureChannelException r = await Assert.ThrowsAsync<SecureChannelException>(() => responder);
        Assert.Equal(SecureChannelError.HandshakeRejected, i.Error);
        Assert.Contains("does not authorise this identity", i.Message, StringComparison.Ordinal);
        Assert.Equal(SecureChannelError.ClientUnauthorized, r.Error);
    }

    [Fact]
    public async Task Initiator_ResponderWithoutTheKeyAnswers_ServerAuthenticationFailed()
    {
        // An impostor that cannot decrypt msg1 but answers with a well-formed msg2 anyway.
        CancellationToken ct = TestTimeout.Token();
        var (local, remote) = InMemoryDuplex.CreatePair();
        using var client = Ed25519Identity.Generate();
        using var server = Ed25519Identity.Generate();
        Task<NoiseStream> initiating = NoiseHandshake.InitiatorAsync(local, client, server.PublicKey, cancellationToken: ct).AsTask();
        await remote.ReadExactlyAsync(new byte[130], ct);
        byte[] fake = new byte[50];
        BinaryPrimitives.WriteUInt16BigEndian(fake, 48);
        RandomNumberGenerator.Fill(fake.AsSpan(2));
        await remote.WriteAsync(fake, ct);

        SecureChannelException e = await Assert.ThrowsAsync<SecureChannelException>(() => initiating);
        Assert.Equal(SecureChannelError.ServerAuthenticationFailed, e.Error);
        Assert.Equal(0, await remote.ReadAsync(new byte[1], ct)); // the initiator closed the connection
    }

    [Theory]
    [InlineData(0)]
    [InlineData(127)]
    [InlineData(129)]
    [InlineData(65535)]
    public async Task Responder_Msg1WrongLength_RefusedFromTheLengthAlone(int length)
    {
        CancellationToken ct = TestTimeout.Token();
        var (local, remote) = InMemoryDuplex.CreatePair();
        using var server = Ed25519Identity.Generate();
        Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(local, server, NoiseHandshake.AllowAnyInitiator, cancellationToken: ct).AsTask();
        byte[] prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)length);
        await remote.WriteAsync(prefix, ct); // and nothing more: an oversize message is never waited for

        SecureChannelException e = await Assert.ThrowsAsync<SecureChannelException>(() => responding);
        Assert.Equal(SecureChannelError.ProtocolViolation, e.Error);
        Assert.Contains($"is {length} bytes, not 128", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, await remote.ReadAsync(new byte[1], ct));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(47)]
    [InlineData(49)]
    [InlineData(65535)]
    public async Task Initiator_Msg2WrongLength_RefusedFromTheLengthAlone(int length)
    {
        CancellationToken ct = TestTimeout.Token();
        var (local, remote) = InMemoryDuplex.CreatePair();
        using var client = Ed25519Identity.Generate();
        using var server = Ed25519Identity.Generate();
        Task<NoiseStream> initiating = NoiseHandshake.InitiatorAsync(local, client, server.PublicKey, cancellationToken: ct).AsTask();
        await remote.ReadExactlyAsync(new byte[130], ct);
        byte[] prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)length);
        await remote.WriteAsync(prefix, ct);

        SecureChannelException e = await Assert.ThrowsAsync<SecureChannelException>(() => initiating);
        Assert.Equal(SecureChannelError.ProtocolViolation, e.Error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(60)]
    [InlineData(129)]
    public async Task Responder_Msg1Truncated_UnexpectedHangup(int sent)
    {
        CancellationToken ct = TestTimeout.Token();
        byte[] msg1 = await CaptureMsg1Async(ct, out Ed25519Identity server);
        using (server)
        {
            var (local, remote) = InMemoryDuplex.CreatePair();
            Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(local, server, NoiseHandshake.AllowAnyInitiator, cancellationToken: ct).AsTask();
            await remote.WriteAsync(msg1.AsMemory(0, sent), ct);
            await remote.CompleteWritesAsync();

            SecureChannelException e = await Assert.ThrowsAsync<SecureChannelException>(() => responding);
            Assert.Equal(SecureChannelError.UnexpectedHangup, e.Error);
        }
    }

    [Fact]
    public async Task Responder_Msg1TamperedAnywhere_ClientAuthenticationFailedAndRefusalSent()
    {
        CancellationToken ct = TestTimeout.Token();
        byte[] msg1 = await CaptureMsg1Async(ct, out Ed25519Identity server);
        using (server)
        {
            // Every byte of the body matters: e (through es), the encrypted static key, the encrypted identity.
            foreach (int at in new[] { 2, 20, 33, 34, 60, 81, 82, 100, 129 })
            {
                byte[] tampered = (byte[])msg1.Clone();
                tampered[at] ^= 0x01;
                var (local, remote) = InMemoryDuplex.CreatePair();
                Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(local, server, NoiseHandshake.AllowAnyInitiator, cancellationToken: ct).AsTask();
                await remote.WriteAsync(tampered, ct);

                SecureChannelException e = await Assert.ThrowsAsync<SecureChannelException>(() => responding);
                Assert.True(e.Error is SecureChannelError.ClientAuthenticationFailed or SecureChannelError.ProtocolViolation, $"byte {at}: {e.Error}");
                byte[] reply = new byte[3];
                if (e.Error == SecureChannelError.ClientAuthenticationFailed)
                {
                    await remote.ReadExactlyAsync(reply, ct);
                    Assert.Equal(new byte[] { 0, 1, 1 }, reply);
                }

                Assert.Equal(0, await remote.ReadAsync(new byte[1], ct));
            }
        }
    }

    [Fact]
    public async Task Responder_ReplayedSession_HandshakeCompletesButNoReplayedDataIsAccepted()
    {
        // IK's first message can be replayed (Noise §7.7: no forward secrecy or replay protection for msg1's payload
        // beyond what the static keys give), but the session keys depend on the responder's fresh ephemeral key,
        // so none of the recorded transport messages open.
        CancellationToken ct = TestTimeout.Token();
        using var server = Ed25519Identity.Generate();
        using var client = Ed25519Identity.Generate();
        var (a, b) = InMemoryDuplex.CreatePair();
        var recorder = new TeeStream(a);
        Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(b, server, NoiseHandshake.AllowAnyInitiator, cancellationToken: ct).AsTask();
        await using (NoiseStream initiator = await NoiseHandshake.InitiatorAsync(recorder, client, server.PublicKey, cancellationToken: ct))
        {
            await using NoiseStream original = await responding;
            await initiator.WriteAsync("transfer 100 to mallory"u8.ToArray(), ct);
            await initiator.CompleteWritesAsync(ct);
            Assert.Equal("transfer 100 to mallory"u8.ToArray(), await Fixtures.ReadToEndAsync(original, ct));
        }

        byte[] recorded = recorder.Written.ToArray();
        var (attacker, victim) = InMemoryDuplex.CreatePair();
        Task<NoiseStream> replayed = NoiseHandshake.ResponderAsync(victim, server, NoiseHandshake.AllowAnyInitiator, cancellationToken: ct).AsTask();
        await attacker.WriteAsync(recorded, ct);
        await using NoiseStream victimStream = await replayed;

        SecureChannelException e = await Assert.ThrowsAsync<SecureChannelException>(async () => await victimStream.ReadAsync(new byte[64], ct));
        Assert.Equal(SecureChannelError.MessageAuthenticationFailed, e.Error);
    }

    [Fact]
    public async Task Handshake_PeerSilent_TimesOutAndClosesConnection()
    {
        CancellationToken ct = TestTimeout.Token();
        var (local, remote) = InMemoryDuplex.CreatePair();
        using var server = Ed25519Identity.Generate();
        var options = new NoiseOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(200) };

        SecureChannelException e = await Assert.ThrowsAsync<SecureChannelException>(
            async () => await NoiseHandshake.ResponderAsync(local, server, NoiseHandshake.AllowAnyInitiator, options, ct));

        Assert.Equal(SecureChannelError.HandshakeTimeout, e.Error);
        Assert.StartsWith("Noise handshake timed out", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, await remote.ReadAsync(new byte[1], ct));
    }

    [Fact]
    public async Task Responder_RandomGarbage_AlwaysAClearErrorNeverAHang()
    {
        CancellationToken ct = TestTimeout.Token(60);
        using var server = Ed25519Identity.Generate();
        var random = new Random(7);
        for (int round = 0; round < 200; round++)
        {
            var (local, remote) = InMemoryDuplex.CreatePair();
            Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(local, server, NoiseHandshake.AllowAnyInitiator, cancellationToken: ct).AsTask();
            byte[] garbage = new byte[random.Next(0, 300)];
            random.NextBytes(garbage);
            if (round % 2 == 0 && garbage.Length >= 2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(garbage, 128); // a plausible length, then garbage
            }

            await remote.WriteAsync(garbage, ct);
            await remote.CompleteWritesAsync();
            await Assert.ThrowsAsync<SecureChannelException>(() => responding);
        }
    }

    [Fact]
    public async Task Options_Invalid_Throw()
    {
        using var identity = Ed25519Identity.Generate();
        var (a, _) = InMemoryDuplex.CreatePair();
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await NoiseHandshake.InitiatorAsync(a, identity, identity.PublicKey, new NoiseOptions { NetworkKey = new byte[31] }, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await NoiseHandshake.InitiatorAsync(a, identity, identity.PublicKey, new NoiseOptions { HandshakeTimeout = TimeSpan.Zero }, TestContext.Current.CancellationToken));
        Assert.Throws<FormatException>(() => NoiseOptions.ParseNetworkKey("AAAA"));
        byte[] key = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(key, NoiseOptions.ParseNetworkKey(Convert.ToBase64String(key)));
    }

    private static async Task<(Task<NoiseStream> Initiator, Task<NoiseStream> Responder)> RunAsync(
        NoiseOptions? initiatorOptions = null,
        NoiseOptions? responderOptions = null,
        Ed25519PublicKey? dialled = null,
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>>? authorize = null)
    {
        CancellationToken ct = TestTimeout.Token();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(ct);
        var server = Ed25519Identity.Generate();
        var client = Ed25519Identity.Generate();
        Task<NoiseStream> responder = NoiseHandshake.ResponderAsync(s, server, authorize ?? NoiseHandshake.AllowAnyInitiator, responderOptions, ct).AsTask();
        Task<NoiseStream> initiator = NoiseHandshake.InitiatorAsync(c, client, dialled ?? server.PublicKey, initiatorOptions, ct).AsTask();
        try
        {
            await Task.WhenAll(initiator, responder);
        }
        catch (SecureChannelException)
        {
            // The callers look at each side.
        }

        return (initiator, responder);
    }

    /// <summary>A genuine msg1 frame (130 bytes) for <paramref name="server"/>'s key.</summary>
    private static Task<byte[]> CaptureMsg1Async(CancellationToken ct, out Ed25519Identity server)
    {
        server = Ed25519Identity.Generate();
        Ed25519PublicKey key = server.PublicKey;
        return Capture();

        async Task<byte[]> Capture()
        {
            using var client = Ed25519Identity.Generate();
            var (local, remote) = InMemoryDuplex.CreatePair();
            _ = NoiseHandshake.InitiatorAsync(local, client, key, cancellationToken: ct).AsTask();
            byte[] msg1 = new byte[130];
            await remote.ReadExactlyAsync(msg1, ct);
            await remote.DisposeAsync();
            return msg1;
        }
    }
}
