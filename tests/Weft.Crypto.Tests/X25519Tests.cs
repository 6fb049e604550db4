using System.Security.Cryptography;

namespace Weft.Crypto.Tests;

public sealed class X25519Tests
{
    [Fact]
    public void ScalarMult_Rfc7748Section52Vector1_MatchesExpected()
    {
        byte[] scalar = Convert.FromHexString("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        byte[] u = Convert.FromHexString("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        var output = new byte[32];

        X25519.ScalarMult(scalar, u, output);

        Assert.Equal("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", Convert.ToHexStringLower(output));
    }

    [Fact]
    public void ScalarMult_Rfc7748Section61DiffieHellman_BothSidesAgree()
    {
        byte[] alicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPrivate = Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        var alicePublic = new byte[32];
        var bobPublic = new byte[32];
        X25519.ScalarMultBase(alicePrivate, alicePublic);
        X25519.ScalarMultBase(bobPrivate, bobPublic);
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Convert.ToHexStringLower(alicePublic));
        Assert.Equal("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", Convert.ToHexStringLower(bobPublic));

        var k1 = new byte[32];
        var k2 = new byte[32];
        X25519.ScalarMult(alicePrivate, bobPublic, k1);
        X25519.ScalarMult(bobPrivate, alicePublic, k2);

        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", Convert.ToHexStringLower(k1));
        Assert.Equal(k1, k2);
    }

    [Fact]
    public void TryScalarMult_SmallOrderPoint_ReturnsFalse()
    {
        var zeroPoint = new byte[32];
        var output = new byte[32];

        Assert.False(X25519.TryScalarMult(RandomNumberGenerator.GetBytes(32), zeroPoint, output));
        Assert.Throws<CryptoException>(() => X25519.ScalarMult(RandomNumberGenerator.GetBytes(32), zeroPoint, output));
    }

    [Fact]
    public void GenerateKeyPair_TwoCalls_DifferAndAgree()
    {
        var a = new byte[32];
        var aPub = new byte[32];
        var b = new byte[32];
        var bPub = new byte[32];
        X25519.GenerateKeyPair(a, aPub);
        X25519.GenerateKeyPair(b, bPub);
        Assert.NotEqual(aPub, bPub);

        var s1 = new byte[32];
        var s2 = new byte[32];
        X25519.ScalarMult(a, bPub, s1);
        X25519.ScalarMult(b, aPub, s2);
        Assert.Equal(s1, s2);
    }
}
