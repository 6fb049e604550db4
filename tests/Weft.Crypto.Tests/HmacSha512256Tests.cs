using System.Security.Cryptography;

namespace Weft.Crypto.Tests;

public sealed class HmacSha512256Tests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(1000)]
    public void Compute_RandomInputs_EqualsTruncatedInBoxHmacSha512(int length)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] message = RandomNumberGenerator.GetBytes(length);
        var mac = new byte[32];

        HmacSha512256.Compute(message, key, mac);

        Assert.Equal(HMACSHA512.HashData(key, message).AsSpan(0, 32).ToArray(), mac);
        Assert.True(HmacSha512256.Verify(mac, message, key));
    }

    [Fact]
    public void Verify_TamperedMacOrKey_ReturnsFalse()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] message = RandomNumberGenerator.GetBytes(64);
        var mac = new byte[32];
        HmacSha512256.Compute(message, key, mac);

        byte[] badMac = (byte[])mac.Clone();
        badMac[31] ^= 0x80;
        byte[] badKey = (byte[])key.Clone();
        badKey[0] ^= 1;

        Assert.False(HmacSha512256.Verify(badMac, message, key));
        Assert.False(HmacSha512256.Verify(mac, message, badKey));
    }
}
