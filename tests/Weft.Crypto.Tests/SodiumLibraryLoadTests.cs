namespace Weft.Crypto.Tests;

public sealed class SodiumLibraryLoadTests
{
    [Fact]
    public void Load_NoCandidateExists_ExplainsHowToInstall()
    {
        nint handle = SodiumLibrary.Load(null, ["libweft-no-such-library.so.99"], out string? failure);

        Assert.Equal(0, handle);
        Assert.NotNull(failure);
        Assert.Contains("apt-get install libsodium23", failure, StringComparison.Ordinal);
        Assert.Contains(SodiumLibrary.PathEnvironmentVariable, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExplicitPathMissing_NamesThePathAndDoesNotFallBack()
    {
        nint handle = SodiumLibrary.Load("/nonexistent/libsodium.so", ["libsodium.so.23"], out string? failure);

        Assert.Equal(0, handle);
        Assert.Contains("/nonexistent/libsodium.so", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DebianSoname_IsFound()
    {
        nint handle = SodiumLibrary.Load(null, ["libsodium.so.23"], out string? failure);

        Assert.True(handle != 0, "libsodium.so.23 must be installed for these tests (apt-get install libsodium23)");
        Assert.Null(failure);
    }
}
