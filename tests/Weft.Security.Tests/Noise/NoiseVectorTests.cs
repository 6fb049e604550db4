using Weft.Crypto;
using Weft.Crypto.Keys;
using Weft.Testing;

namespace Weft.Security.Tests.Noise;

/// <summary>
/// The handshake and transport bytes against vectors that other implementations produced: the Noise_IK vectors of
/// flynn/noise (raw X25519 keys, the bare protocol) and Weft's own vectors produced by the Go peer (Ed25519 identities,
/// prologue, identity payload, framing, close).
/// </summary>
public sealed class NoiseVectorTests
{
    [Fact]
    public void FlynnNoiseVector_IK_HandshakeAndTransportMatch()
    {
        // flynn/noise vectors.txt (Debian golang-github-flynn-noise-dev 1.0.0), "handshake=Noise_IK_25519_ChaChaPoly_SHA256"
        // with payloads "test_msg_0" and "test_msg_1"; empty prologue.
        byte[] initStatic = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        byte[] respStatic = Convert.FromHexString("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
        byte[] initEphemeral = Convert.FromHexString("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
        byte[] respEphemeral = Convert.FromHexString("4142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60");
        const string msg0 = "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd1662544f8445e5dc2467b1e32653192d05dee85c4781bf0dd8d33ceebb5905a7a069f09e0d3f2cad1c842930a762eb75e528270337527f958f92050deefa1892482d74328fee90d08201bba3cc";
        const string msg1 = "64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466cb4a35db52355821787bb891112ba10f4d3dfe08b27d634db8af";
        const string msg2 = "226ca869f2777611f37350a7ab446f650c0cfe2855b7f020ce658bcf100f2d";
        const string msg3 = "90d84d69cd44829283b05d684879b53b8d714e51619b601438a1ae67caacd9";

        using var initKey = new RawStaticKey(initStatic);
        using var respKey = new RawStaticKey(respStatic);
        using var initiator = NoiseIKHandshake.Initiator(initKey, respKey.PublicKey, [], initEphemeral);
        using var responder = NoiseIKHandshake.Responder(respKey, [], respEphemeral);

        byte[] payload0 = "test_msg_0"u8.ToArray();
        byte[] m0 = new byte[NoiseIKHandshake.Message1Size(payload0.Length)];
        Assert.Equal(m0.Length, initiator.WriteMessage1(payload0, m0));
        Assert.Equal(msg0, Convert.ToHexStringLower(m0));
        byte[] read0 = new byte[payload0.Length];
        Assert.True(responder.TryReadMessage1(m0, read0));
        Assert.Equal(payload0, read0);
        Assert.Equal(initKey.PublicKey.ToArray(), responder.RemoteStaticKey.ToArray());

        byte[] payload1 = "test_msg_1"u8.ToArray();
        byte[] m1 = new byte[NoiseIKHandshake.Message2Size(payload1.Length)];
        Assert.Equal(m1.Length, responder.WriteMessage2(payload1, m1));
        Assert.Equal(msg1, Convert.ToHexStringLower(m1));
        byte[] read1 = new byte[payload1.Length];
        Assert.True(initiator.TryReadMessage2(m1, read1));
        Assert.Equal(payload1, read1);
        Assert.Equal(initiator.Hash.ToArray(), responder.Hash.ToArray());

        (NoiseCipherState iSend, NoiseCipherState iReceive) = initiator.Split(0);
        (NoiseCipherState rSend, NoiseCipherState rReceive) = responder.Split(0);
        using (iSend)
        using (iReceive)
        using (rSend)
        using (rReceive)
        {
            byte[] yellow = Convert.FromHexString("79656c6c6f777375626d6172696e65");
            byte[] c2 = new byte[yellow.Length + 16];
            iSend.Encrypt(yellow, [], c2);
            Assert.Equal(msg2, Convert.ToHexStringLower(c2));
            byte[] submarine = Convert.FromHexString("7375626d6172696e6579656c6c6f77");
            byte[] c3 = new byte[submarine.Length + 16];
            rSend.Encrypt(submarine, [], c3);
            Assert.Equal(msg3, Convert.ToHexStringLower(c3));

            byte[] p = new byte[yellow.Length];
            Assert.True(rReceive.TryDecrypt(c2, [], p));
            Assert.Equal(yellow, p);
        }
    }

    [Fact]
    public void IdentityConversion_MatchesGoPeersMontgomeryConversion()
    {
        using var initiator = Ed25519Identity.FromSeed(NoiseVectors.InitiatorSeed);
        using var responder = Ed25519Identity.FromSeed(NoiseVectors.ResponderSeed);
        Assert.Equal(NoiseVectors.InitiatorPublic, initiator.PublicKey.ToString());
        Assert.Equal(NoiseVectors.ResponderPublic, responder.PublicKey.ToString());
        Assert.Equal(NoiseVectors.InitiatorX25519Public, Convert.ToHexStringLower(new IdentityStaticKey(initiator).PublicKey));
        Assert.Equal(NoiseVectors.ResponderX25519Public, Convert.ToHexStringLower(new IdentityStaticKey(responder).PublicKey));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Initiator_FixedEphemeral_WritesGoldenBytesAndReadsGoldenReplies(bool withNetworkKey)
    {
        CancellationToken ct = TestTimeout.Token();
        var (local, remote) = InMemoryDuplex.CreatePair();
        using var identity = Ed25519Identity.FromSeed(NoiseVectors.InitiatorSeed);
        Task<NoiseStream> initiating = NoiseHandshake.InitiatorAsync(
            local, identity, Ed25519PublicKey.Parse(NoiseVectors.ResponderPublic), Options(withNetworkKey), NoiseVectors.InitiatorEphemeral, ct).AsTask();

        Assert.Equal(withNetworkKey ? NoiseVectors.Msg1FrameWithNetworkKey : NoiseVectors.Msg1Frame, await ReadHexAsync(remote, 130, ct));
        await WriteHexAsync(remote, withNetworkKey ? NoiseVectors.Msg2FrameWithNetworkKey : NoiseVectors.Msg2Frame, ct);
        await using NoiseStream stream = await initiating;
        Assert.Equal(NoiseVectors.ResponderPublic, stream.RemotePublicKey.ToString());
        Assert.Equal(withNetworkKey ? NoiseVectors.HandshakeHashWithNetworkKey : NoiseVectors.HandshakeHash, Convert.ToHexStringLower(stream.GetHandshakeHash()));

        // Transport keys depend only on the DH results (Noise §5.2), so both vectors share these frames.
        await stream.WriteAsync("hello"u8.ToArray(), ct);
        Assert.Equal(NoiseVectors.HelloFrame, await ReadHexAsync(remote, NoiseVectors.HelloFrame.Length / 2, ct));
        await WriteHexAsync(remote, NoiseVectors.WorldFrame + NoiseVectors.ResponderCloseFrame, ct);
        Assert.Equal("world!"u8.ToArray(), await Fixtures.ReadToEndAsync(stream, ct));
        await stream.CompleteWritesAsync(ct);
        Assert.Equal(NoiseVectors.InitiatorCloseFrame, await ReadHexAsync(remote, NoiseVectors.InitiatorCloseFrame.Length / 2, ct));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Responder_FixedEphemeral_WritesGoldenReplyAndReadsGoldenMessages(bool withNetworkKey)
    {
        CancellationToken ct = TestTimeout.Token();
        var (local, remote) = InMemoryDuplex.CreatePair();
        using var identity = Ed25519Identity.FromSeed(NoiseVectors.ResponderSeed);
        Ed25519PublicKey? seen = null;
        Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(
            local, identity, (key, _) => { seen = key; return ValueTask.FromResult(true); }, Options(withNetworkKey), NoiseVectors.ResponderEphemeral, ct).AsTask();

        await WriteHexAsync(remote, withNetworkKey ? NoiseVectors.Msg1FrameWithNetworkKey : NoiseVectors.Msg1Frame, ct);
        Assert.Equal(withNetworkKey ? NoiseVectors.Msg2FrameWithNetworkKey : NoiseVectors.Msg2Frame, await ReadHexAsync(remote, 50, ct));
        await using NoiseStream stream = await responding;
        Assert.Equal(NoiseVectors.InitiatorPublic, seen?.ToString());
        Assert.Equal(NoiseVectors.InitiatorPublic, stream.RemotePublicKey.ToString());

        await WriteHexAsync(remote, NoiseVectors.HelloFrame + NoiseVectors.InitiatorCloseFrame, ct);
        Assert.Equal("hello"u8.ToArray(), await Fixtures.ReadToEndAsync(stream, ct));
        await stream.WriteAsync("world!"u8.ToArray(), ct);
        await stream.CompleteWritesAsync(ct);
        Assert.Equal(NoiseVectors.WorldFrame + NoiseVectors.ResponderCloseFrame, await ReadHexAsync(remote, (NoiseVectors.WorldFrame.Length + NoiseVectors.ResponderCloseFrame.Length) / 2, ct));
    }

    [Fact]
    public void Rekey_MatchesNoiseDefinition()
    {
        // Noise §5.1: REKEY(k) = ENCRYPT(k, 2^64-1, zerolen, zeros)[:32], computed here with the AEAD directly.
        byte[] key = Convert.FromHexString("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
        byte[] nonce = Convert.FromHexString("00000000ffffffffffffffff");
        byte[] expectedKey = new byte[32];
        using (var aead = new System.Security.Cryptography.ChaCha20Poly1305(key))
        {
            aead.Encrypt(nonce, new byte[32], expectedKey, new byte[16]);
        }

        byte[] plaintext = "after rekey"u8.ToArray();
        byte[] expected = new byte[plaintext.Length + 16];
        using (var reference = new NoiseCipherState(expectedKey))
        {
            reference.Encrypt([], [], new byte[16]); // nonce 0
            reference.Encrypt([], [], new byte[16]); // nonce 1
            reference.Encrypt(plaintext, [], expected); // nonce 2 under the new key
        }

        using var state = new NoiseCipherState(key, rekeyInterval: 2);
        state.Encrypt([], [], new byte[16]);
        state.Encrypt([], [], new byte[16]);
        byte[] actual = new byte[expected.Length];
        state.Encrypt(plaintext, [], actual); // nonce 2: rekeyed first, the counter goes on
        Assert.Equal(expected, actual);
        Assert.Equal(3UL, state.Nonce);
    }

    [Fact]
    public void IdentityStaticKey_AgreesWithRawX25519OfTheConvertedSecret()
    {
        using var a = Ed25519Identity.FromSeed(NoiseVectors.InitiatorSeed);
        using var b = Ed25519Identity.FromSeed(NoiseVectors.ResponderSeed);
        var ka = new IdentityStaticKey(a);
        var kb = new IdentityStaticKey(b);
        byte[] ab = new byte[32];
        byte[] ba = new byte[32];
        Assert.True(ka.TryAgree(kb.PublicKey, ab));
        Assert.True(kb.TryAgree(ka.PublicKey, ba));
        Assert.Equal(ab, ba);
        Assert.False(ka.TryAgree(new byte[32], ab)); // small order
        _ = X25519.PublicKeySize;
    }

    private static NoiseOptions Options(bool withNetworkKey) => new()
    {
        NetworkKey = withNetworkKey ? Convert.FromHexString(NoiseVectors.NetworkKey) : ReadOnlyMemory<byte>.Empty,
    };

    private static async Task<string> ReadHexAsync(Stream stream, int count, CancellationToken ct)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return Convert.ToHexStringLower(buffer);
    }

    private static async Task WriteHexAsync(Stream stream, string hex, CancellationToken ct)
    {
        await stream.WriteAsync(Convert.FromHexString(hex), ct);
        await stream.FlushAsync(ct);
    }
}
