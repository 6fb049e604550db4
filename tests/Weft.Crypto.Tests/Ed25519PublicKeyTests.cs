using Weft.Crypto.Keys;

namespace Weft.Crypto.Tests;

public sealed class Ed25519PublicKeyTests
{
    private const string Fixture = "+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=";

    [Theory]
    [InlineData(Fixture)]
    [InlineData("@" + Fixture + ".ed25519")]
    [InlineData("  " + Fixture + "\n")]
    public void Parse_AcceptedForms_RoundTripToPlainBase64(string text)
    {
        Ed25519PublicKey key = Ed25519PublicKey.Parse(text);

        Assert.Equal(Fixture, key.ToString());
        Assert.Equal(Ed25519PublicKey.Parse(Fixture), key);
        Assert.True(key == Ed25519PublicKey.Parse(Fixture));
        Assert.Equal(Ed25519PublicKey.Parse(Fixture).GetHashCode(), key.GetHashCode());
    }

    [Theory]
    [InlineData("")]
    [InlineData("+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Y=")]
    [InlineData("+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw")]
    [InlineData("+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Y!=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")]
    public void TryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.False(Ed25519PublicKey.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Ed25519PublicKey.Parse(text));
    }

    [Fact]
    public void Equals_DifferentKeys_AreNotEqual()
    {
        var a = Ed25519PublicKey.FromBytes(new byte[32]);
        byte[] other = new byte[32];
        other[31] = 1;
        var b = Ed25519PublicKey.FromBytes(other);

        Assert.NotEqual(a, b);
        Assert.True(a != b);
        Assert.Throws<ArgumentException>(() => Ed25519PublicKey.FromBytes(new byte[31]));
    }
}
