using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.Tunnels;

/// <summary>
/// The chaos proxy between each agent and the relay: delay and jitter (bytes still checked), a cut of
/// every agent link (agents reconnect; recovery time printed), a link killed after N bytes mid-transfer.
/// </summary>
public sealed class ChaosLinkTests
{
    private static readonly TimeSpan s_recoveryLimit = TestTimeout.Scaled(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task DelayAndJitter_OnBothAgentLinks_BytesStillChecked()
    {
        CancellationToken ct = TestTimeout.Token(150);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint, ChaosBetweenAgentsAndRelay = true }, ct);
        foreach (ChaosConnection link in chain.ServerLink!.Connections.Concat(chain.ClientLink!.Connections))
        {
            foreach (ChaosLink direction in new[] { link.ClientToServer, link.ServerToClient })
            {
                direction.Delay = TimeSpan.FromMilliseconds(15);
                direction.Jitter = TimeSpan.FromMilliseconds(5);
            }
        }

        await Task.WhenAll(
            TransferClient.UploadAndVerifyAsync(chain.LocalForward, 2 << 20, seed: 1, ct),
            TransferClient.DownloadAndVerifyAsync(chain.LocalForward, 2 << 20, seed: 2, ct),
            TransferClient.EchoAndVerifyAsync(chain.LocalForward, 1 << 20, seed: 3, ct));
        double[] rtt = await TransferClient.MeasureRoundTripsAsync(chain.LocalForward, 64, 20, 2, ct);
        Assert.True(TransferClient.Quantile(rtt, 0.5) >= 4 * 15_000 * 0.8, $"p50 {TransferClient.Quantile(rtt, 0.5)} µs: the delay was not on the path");
    }

    [Fact]
    public async Task CutAgentLinks_ServerThenClientThenBoth_AgentsReconnectEachTime()
    {
        CancellationToken ct = TestTimeout.Token(150);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint, ChaosBetweenAgentsAndRelay = true }, ct);
        foreach (string which in new[] { "server", "client", "both" })
        {
            long serverLinks = chain.ServerLink!.TotalAccepted;
            long clientLinks = chain.ClientLink!.TotalAccepted;
            if (which is "server" or "both")
            {
                chain.ServerLink.CutAll(ChaosCutMode.Reset);
            }

            if (which is "client" or "both")
            {
                chain.ClientLink.CutAll(ChaosCutMode.Reset);
            }

            RecoveryResult recovery = await Recovery.WaitAsync(chain.LocalForward, s_recoveryLimit, cancellationToken: ct);
            SadCaseTests.Report($"chaos: cut the {which} agent link(s) to the relay", recovery);
            await TransferClient.UploadAndVerifyAsync(chain.LocalForward, 2 << 20, seed: 4, ct);
            if (which is "server" or "both")
            {
                Assert.True(chain.ServerLink.TotalAccepted > serverLinks, "the server agent did not make a new session");
            }

            if (which is "client" or "both")
            {
                Assert.True(chain.ClientLink.TotalAccepted > clientLinks, "the client agent did not make a new session");
            }
        }
    }

    [Fact]
    public async Task ServerLinkKilledMidTransfer_TransferResetThenChainRecovers()
    {
        CancellationToken ct = TestTimeout.Token(150);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint, ChaosBetweenAgentsAndRelay = true }, ct);
        ChaosConnection link = chain.ServerLink!.Connections[^1];
        link.ServerToClient.BytesPerSecond = 2_000_000; // slow enough that the cut lands mid-transfer

        Task upload = TransferClient.UploadAndVerifyAsync(chain.LocalForward, 64 << 20, seed: 5, ct);
        await Task.Delay(1000, ct);
        link.Cut(ChaosCutMode.Reset);

        Exception? failure = await Record.ExceptionAsync(async () => await upload.WaitAsync(s_recoveryLimit, ct));
        Assert.True(failure is System.Net.Sockets.SocketException or IOException or TransferException, $"the upload over the cut link did not fail: {failure?.ToString() ?? "it completed"}");
        RecoveryResult recovery = await Recovery.WaitAsync(chain.LocalForward, s_recoveryLimit, cancellationToken: ct);
        SadCaseTests.Report("chaos: server agent's link cut mid-transfer", recovery);
        await TransferClient.UploadAndVerifyAsync(chain.LocalForward, 2 << 20, seed: 6, ct);
    }
}
