using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Weft.Crypto.Keys;

namespace Weft.Crypto.Tests;

public sealed class KeyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("weft-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FromSeed_MultiserverFixture_HasKnownPublicKey()
    {
        using var identity = Ed25519Identity.FromSeed(SHA256.HashData(Encoding.UTF8.GetBytes("TESTSEED")));

        Assert.Equal("+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=", identity.PublicKey.ToString());
        Assert.Equal("@+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=.ed25519", identity.PublicKey.ToSigilString());
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Save_NewFile_IsOwnerReadWriteOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        string path = Path.Combine(_dir, "id.json");
        using var identity = Ed25519Identity.Generate();

        identity.Save(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Save_OverwriteExisting_KeepsOwnerOnlyAndReplacesContent()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        string path = Path.Combine(_dir, "id.json");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        using var identity = Ed25519Identity.Generate();

        Assert.Throws<IOException>(() => identity.Save(path));
        identity.Save(path, overwrite: true);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using var loaded = Ed25519Identity.Load(path);
        Assert.Equal(identity.PublicKey, loaded.PublicKey);
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Load_SavedIdentity_SignsIdentically()
    {
        string path = Path.Combine(_dir, "id.json");
        using var identity = Ed25519Identity.Generate();
        identity.Save(path);

        using var loaded = Ed25519Identity.Load(path);
        var sig1 = new byte[64];
        var sig2 = new byte[64];
        identity.Sign("hello"u8, sig1);
        loaded.Sign("hello"u8, sig2);

        Assert.Equal(identity.PublicKey, loaded.PublicKey);
        Assert.Equal(sig1, sig2);
        Assert.True(Ed25519.Verify(sig2, "hello"u8, loaded.PublicKey.AsSpan()));
        string text = File.ReadAllText(path);
        Assert.Contains("\"type\": \"ed25519\"", text, StringComparison.Ordinal);
        Assert.Contains(identity.PublicKey.ToString(), text, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ThrowsCryptoExceptionNamingTheFile()
    {
        string path = Path.Combine(_dir, "nope.json");

        var e = Assert.Throws<CryptoException>(() => Ed25519Identity.Load(path));

        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.IsType<FileNotFoundException>(e.InnerException);
    }

    [Fact]
    public void Load_MissingDirectory_ThrowsCryptoException()
    {
        var e = Assert.Throws<CryptoException>(() => Ed25519Identity.Load(Path.Combine(_dir, "no", "such.json")));

        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"type\":\"rsa\",\"seed\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}")]
    [InlineData("{\"type\":\"ed25519\"}")]
    [InlineData("{\"type\":\"ed25519\",\"seed\":\"AAAA\"}")]
    [InlineData("{\"type\":\"ed25519\",\"seed\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"public\":\"+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=\"}")]
    public void Load_MalformedFile_ThrowsCryptoException(string content)
    {
        string path = Path.Combine(_dir, "bad.json");
        WritePrivate(path, content);

        var e = Assert.Throws<CryptoException>(() => Ed25519Identity.Load(path));
        Assert.DoesNotContain("other users", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0b110_100_100)]
    [InlineData(0b110_110_000)]
    [InlineData(0b110_000_010)]
    public void Load_FileAccessibleByOthers_RefusesWithChmodAdvice(int mode)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        string path = Path.Combine(_dir, "open.json");
        using var identity = Ed25519Identity.Generate();
        identity.Save(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)mode);
        }

        var e = Assert.Throws<CryptoException>(() => Ed25519Identity.Load(path));

        Assert.Contains("other users", e.Message, StringComparison.Ordinal);
        Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(identity.PublicKey.ToString(), e.Message, StringComparison.Ordinal);
    }

    private static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public void Load_SeedOnlyFile_DerivesPublicKey()
    {
        string path = Path.Combine(_dir, "seed.json");
        byte[] seed = SHA256.HashData(Encoding.UTF8.GetBytes("TESTSEED"));
        WritePrivate(path, $"{{\"type\":\"ed25519\",\"seed\":\"{Convert.ToBase64String(seed)}\"}}");

        using var identity = Ed25519Identity.Load(path);

        Assert.Equal("+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=", identity.PublicKey.ToString());
    }

    [Fact]
    public void ToString_Identity_ShowsOnlyPublicKey()
    {
        byte[] seed = SHA256.HashData(Encoding.UTF8.GetBytes("TESTSEED"));
        using var identity = Ed25519Identity.FromSeed(seed);

        string text = identity.ToString();

        Assert.Contains("+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(seed), text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(seed), text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void FromSecretKey_LibsodiumLayout_MatchesSeedAndRejectsMismatch()
    {
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        var pk = new byte[32];
        var sk = new byte[64];
        Ed25519.SeedKeyPair(seed, pk, sk);

        using var identity = Ed25519Identity.FromSecretKey(sk);
        Assert.Equal(pk, identity.PublicKey.ToArray());

        sk[63] ^= 1;
        Assert.Throws<CryptoException>(() => Ed25519Identity.FromSecretKey(sk));
    }

    [Fact]
    public void TryAgreeX25519_TwoIdentities_MatchEphemeralSide()
    {
        using var identity = Ed25519Identity.Generate();
        var ephemeralSecret = new byte[32];
        var ephemeralPublic = new byte[32];
        X25519.GenerateKeyPair(ephemeralSecret, ephemeralPublic);
        var identityCurve = new byte[32];
        Assert.True(Ed25519.TryPublicKeyToCurve25519(identity.PublicKey.AsSpan(), identityCurve));

        var fromIdentity = new byte[32];
        var fromEphemeral = new byte[32];
        Assert.True(identity.TryAgreeX25519(ephemeralPublic, fromIdentity));
        X25519.ScalarMult(ephemeralSecret, identityCurve, fromEphemeral);

        Assert.Equal(fromEphemeral, fromIdentity);
    }

    [Fact]
    public void Sign_AfterDispose_Throws()
    {
        var identity = Ed25519Identity.Generate();
        identity.Dispose();

        Assert.Throws<ObjectDisposedException>(() => identity.Sign([1], new byte[64]));
    }
}
