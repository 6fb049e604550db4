using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.FixtureTests;

/// <summary>The throwaway sshd and the ssh -L baseline the tunnel tests and benchmark compare against.</summary>
public sealed class SshServerTests
{
    private static readonly TimeSpan s_timeout = TestTimeout.Scaled(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Sshd_ClientKey_RunsCommandAsTheCurrentUser()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using SshServer sshd = await SshServer.StartAsync(s_timeout, ct);

        var (exit, output, error) = await sshd.RunAsync(sshd.Port, "echo weft-$((6*7)); whoami", s_timeout, ct);

        Assert.True(exit == 0, $"ssh exited {exit}: {error}\n{sshd.Process.Diagnostics()}");
        Assert.Equal(["weft-42", SshServer.User], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Sshd_KeyNotAuthorized_RefusesLogin()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using SshServer sshd = await SshServer.StartAsync(s_timeout, ct);
        await using SshServer other = await SshServer.StartAsync(s_timeout, ct);

        // other's client key is not in sshd's authorized_keys.
        var args = other.ClientArguments(sshd.Port);
        await using ProcessRunner ssh = ProcessRunner.Start("ssh", Tools.Ssh, [.. args, "true"]);
        ssh.CloseStandardInput();
        int exit = await ssh.WaitForExitAsync(s_timeout, ct);

        Assert.Equal(255, exit);
        Assert.Contains("Permission denied", ssh.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SshLocalForward_CarriesBytesBothWaysCheckedBySha256()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using TcpTarget target = TcpTarget.Start();
        await using SshServer sshd = await SshServer.StartAsync(s_timeout, ct);
        var (forward, localPort) = await sshd.StartLocalForwardAsync(target.EndPoint, s_timeout, ct);
        await using (forward)
        {
            var entry = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, localPort);
            byte[] hash = await TransferClient.UploadAndVerifyAsync(entry, 8 << 20, seed: 1, ct);
            Assert.Equal(Patterns.Sha256OfPattern(8 << 20, seed: 1), hash);
            await TransferClient.DownloadAndVerifyAsync(entry, 8 << 20, seed: 2, ct);
            await TransferClient.EchoAndVerifyAsync(entry, 1 << 20, seed: 3, ct);
        }
    }
}
