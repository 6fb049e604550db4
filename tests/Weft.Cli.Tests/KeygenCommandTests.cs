using System.Text.RegularExpressions;
using Weft.Cli.Tests.Support;
using Weft.Crypto.Keys;

namespace Weft.Cli.Tests;

public class KeygenCommandTests
{
    [Fact]
    public async Task Keygen_NewFile_WritesOwnerOnlyIdentityAndPrintsItsPublicId()
    {
        using var dir = new TempDirectory();
        string path = dir.File("sub/id.key");

        var (exit, output, error) = await WeftProcess.RunAsync(["keygen", "-o", path]);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.File("sub")));
        using Ed25519Identity identity = Ed25519Identity.Load(path);
        string printed = Regex.Match(output, "^public: (\\S+)$", RegexOptions.Multiline).Groups[1].Value;
        Assert.Equal(identity.PublicKey.ToString(), printed);
        Assert.Contains($"identity: {path}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keygen_AddressForms_OfferNoiseFirstAndShsForMultiserverPeers()
    {
        using var dir = new TempDirectory();
        string path = dir.File("id.key");

        var (exit, output, error) = await WeftProcess.RunAsync(["keygen", "-o", path]);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        string key = Regex.Match(output, "^public: (\\S+)$", RegexOptions.Multiline).Groups[1].Value;
        int noise = output.IndexOf($"~noise:{key}", StringComparison.Ordinal);
        int shs = output.IndexOf($"~shs:{key}", StringComparison.Ordinal);
        Assert.True(noise >= 0, output);
        Assert.True(shs > noise, $"the noise form must come before the shs form:\n{output}");
        Assert.Matches($@"(?m)^  relay address\s+net:HOST:7000~noise:{Regex.Escape(key)}\s", output);
        Assert.Matches($@"(?m)^  multiserver peers\s+net:HOST:7000~shs:{Regex.Escape(key)}\s", output);
    }

    [Fact]
    public async Task Keygen_Output_NeverContainsTheSeed()
    {
        using var dir = new TempDirectory();
        string path = dir.File("id.key");

        var (exit, output, error) = await WeftProcess.RunAsync(["keygen", "-o", path]);

        Assert.Equal(0, exit);
        string seed = Regex.Match(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken), "\"seed\": \"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(seed);
        Assert.DoesNotContain(seed, output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keygen_ExistingFile_RefusesWithoutForceAndLeavesItAlone()
    {
        using var dir = new TempDirectory();
        string path = dir.File("id.key");
        using (Ed25519Identity original = Ed25519Identity.Generate())
        {
            original.Save(path);
        }

        string before = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);

        var (exit, output, error) = await WeftProcess.RunAsync(["keygen", "-o", path]);

        Assert.Equal(1, exit);
        Assert.Contains("already exists", error, StringComparison.Ordinal);
        Assert.Contains("--force", error, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.DoesNotContain("public:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keygen_Force_ReplacesTheKeyKeepingPermissions()
    {
        using var dir = new TempDirectory();
        string path = dir.File("id.key");
        string oldKey;
        using (Ed25519Identity original = Ed25519Identity.Generate())
        {
            original.Save(path);
            oldKey = original.PublicKey.ToString();
        }

        var (exit, output, _) = await WeftProcess.RunAsync(["keygen", "-o", path, "--force"]);

        Assert.Equal(0, exit);
        using Ed25519Identity replaced = Ed25519Identity.Load(path);
        Assert.NotEqual(oldKey, replaced.PublicKey.ToString());
        Assert.Contains($"public: {replaced.PublicKey}", output, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Keygen_Show_PrintsTheExistingPublicIdWithoutWriting()
    {
        using var dir = new TempDirectory();
        string path = dir.File("id.key");
        using Ed25519Identity original = Ed25519Identity.Generate();
        original.Save(path);
        DateTime written = File.GetLastWriteTimeUtc(path);

        var (exit, output, _) = await WeftProcess.RunAsync(["keygen", "-o", path, "--show"]);

        Assert.Equal(0, exit);
        Assert.Contains($"public: {original.PublicKey}", output, StringComparison.Ordinal);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public async Task Keygen_ShowMissingFile_FailsWithClearMessage()
    {
        using var dir = new TempDirectory();

        var (exit, _, error) = await WeftProcess.RunAsync(["keygen", "-o", dir.File("none.key"), "--show"]);

        Assert.Equal(1, exit);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }
}
