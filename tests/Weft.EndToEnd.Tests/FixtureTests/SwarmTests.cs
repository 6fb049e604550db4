using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.FixtureTests;

/// <summary>The many-connections helper and the memory reader the load test uses.</summary>
public sealed class SwarmTests
{
    [Fact]
    public async Task Swarm_ThroughSocatChain_AllConnectionsLiveAtOnceAndChecked()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using TcpTarget target = TcpTarget.Start();
        await using SocatChain chain = await SocatChain.StartAsync(target.EndPoint, 1, TestTimeout.Scaled(TimeSpan.FromSeconds(30)), ct);

        await using ConnectionSwarm swarm = await ConnectionSwarm.OpenAsync(chain.EntryPoint, 200, 1000, cancellationToken: ct);

        Assert.Equal(200, swarm.Count);
        Assert.Equal(200, target.Active);
        long rss = ProcessMemory.ResidentBytes(chain.Hops[0].Id);
        Assert.InRange(rss, 64 * 1024, 1L << 34);
        await swarm.FinishAsync(1000, ct);
    }
}
