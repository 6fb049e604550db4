using System.Text;

namespace Weft.Crypto.Tests;

public sealed class Blake2bTests
{
    [Theory]
    // RFC 7693 Appendix A gives BLAKE2b-512("abc"); the empty-string value is the reference implementation's.
    [InlineData("", "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce")]
    [InlineData("abc", "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")]
    public void Hash_512BitKnownInputs_MatchReference(string input, string expectedHex)
    {
        var hash = new byte[64];

        Blake2b.Hash(Encoding.ASCII.GetBytes(input), hash);

        Assert.Equal(expectedHex, Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void Hash_256BitEmpty_MatchesReference()
    {
        var hash = new byte[32];

        Blake2b.Hash([], hash);

        Assert.Equal("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8", Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void Hash_DifferentLengthsAndKeys_ProduceDifferentOutputs()
    {
        byte[] message = Encoding.ASCII.GetBytes("weft");
        var h16 = new byte[16];
        var h32 = new byte[32];
        var keyed = new byte[32];
        Blake2b.Hash(message, h16);
        Blake2b.Hash(message, h32);
        Blake2b.Hash(message, keyed, new byte[32]);

        // The output length is a parameter of BLAKE2b, so a shorter hash is not a prefix of a longer one.
        Assert.NotEqual(h16, h32.AsSpan(0, 16).ToArray());
        Assert.NotEqual(h32, keyed);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(65)]
    [InlineData(0)]
    public void Hash_OutputLengthOutOfRange_Throws(int length)
    {
        Assert.Throws<ArgumentException>(() => Blake2b.Hash([1], new byte[length]));
    }

    [Fact]
    public void Hash_KeyTooShort_Throws()
    {
        Assert.Throws<ArgumentException>(() => Blake2b.Hash([1], new byte[32], new byte[8]));
    }
}
