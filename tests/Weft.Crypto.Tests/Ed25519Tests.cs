using System.Security.Cryptography;

namespace Weft.Crypto.Tests;

public sealed class Ed25519Tests
{
    // RFC 8032 §7.1, TEST 1 (empty message).
    private const string Rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Rfc8032PublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private const string Rfc8032Signature =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    [Fact]
    public void SeedKeyPair_Rfc8032Test1_DerivesPublicKeyAndSecretLayout()
    {
        byte[] seed = Convert.FromHexString(Rfc8032Seed);
        var pk = new byte[32];
        var sk = new byte[64];

        Ed25519.SeedKeyPair(seed, pk, sk);

        Assert.Equal(Rfc8032PublicKey, Convert.ToHexStringLower(pk));
        Assert.Equal(Rfc8032Seed + Rfc8032PublicKey, Convert.ToHexStringLower(sk));
    }

    [Fact]
    public void Sign_Rfc8032Test1_ProducesKnownSignature()
    {
        var pk = new byte[32];
        var sk = new byte[64];
        Ed25519.SeedKeyPair(Convert.FromHexString(Rfc8032Seed), pk, sk);
        var sig = new byte[64];

        Ed25519.Sign(ReadOnlySpan<byte>.Empty, sk, sig);

        Assert.Equal(Rfc8032Signature, Convert.ToHexStringLower(sig));
        Assert.True(Ed25519.Verify(sig, ReadOnlySpan<byte>.Empty, pk));
    }

    [Fact]
    public void Verify_AnyFlippedBit_ReturnsFalse()
    {
        var pk = new byte[32];
        var sk = new byte[64];
        Ed25519.SeedKeyPair(RandomNumberGenerator.GetBytes(32), pk, sk);
        byte[] message = RandomNumberGenerator.GetBytes(100);
        var sig = new byte[64];
        Ed25519.Sign(message, sk, sig);
        Assert.True(Ed25519.Verify(sig, message, pk));

        for (int bit = 0; bit < 64 * 8; bit += 7)
        {
            byte[] bad = (byte[])sig.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(Ed25519.Verify(bad, message, pk), $"signature bit {bit}");
        }

        message[17] ^= 1;
        Assert.False(Ed25519.Verify(sig, message, pk));
        Assert.False(Ed25519.Verify(sig.AsSpan(0, 63), message, pk));
    }

    [Fact]
    public void Curve25519Conversion_RandomKeys_PublicMatchesBaseOfSecret()
    {
        for (int i = 0; i < 20; i++)
        {
            var pk = new byte[32];
            var sk = new byte[64];
            Ed25519.SeedKeyPair(RandomNumberGenerator.GetBytes(32), pk, sk);
            var curvePk = new byte[32];
            var curveSk = new byte[32];
            var derived = new byte[32];

            Assert.True(Ed25519.TryPublicKeyToCurve25519(pk, curvePk));
            Ed25519.SecretKeyToCurve25519(sk, curveSk);
            X25519.ScalarMultBase(curveSk, derived);

            Assert.Equal(curvePk, derived);
        }
    }

    [Fact]
    public void Sign_WrongSizedSecretKey_Throws()
    {
        Assert.Throws<ArgumentException>(() => Ed25519.Sign([1, 2, 3], new byte[32], new byte[64]));
        Assert.Throws<ArgumentException>(() => Ed25519.Sign([1, 2, 3], new byte[64], new byte[63]));
    }
}
