namespace Weft.Crypto.Tests;

public sealed class SodiumLibraryTests
{
    [Fact]
    public void Version_Loaded_IsLibsodiumVersionString()
    {
        string version = SodiumLibrary.Version;

        Assert.Matches(@"^\d+\.\d+\.\d+", version);
    }

    [Fact]
    public void MemZero_Buffer_IsCleared()
    {
        byte[] buffer = [1, 2, 3, 4, 5];

        SodiumLibrary.MemZero(buffer.AsSpan(1, 3));

        Assert.Equal(new byte[] { 1, 0, 0, 0, 5 }, buffer);
    }

    [Fact]
    public void SecureRandom_Fill_ProducesDistinctNonZeroOutput()
    {
        var a = new byte[32];
        var b = new byte[32];

        SecureRandom.Fill(a);
        SecureRandom.Fill(b);

        Assert.NotEqual(a, b);
        Assert.NotEqual(new byte[32], a);
    }
}
