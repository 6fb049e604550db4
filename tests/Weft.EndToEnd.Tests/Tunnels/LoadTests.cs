using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.Tunnels;

/// <summary>1,000 concurrent forwarded connections through one relay, data checked, memory per connection reported.</summary>
public sealed class LoadTests
{
    [Fact]
    [Trait("Category", "Stress")]
    public async Task ThousandConcurrentConnections_ThroughOneRelay_AllCheckedAndMemoryReported()
    {
        const int Connections = 1000;
        CancellationToken ct = TestTimeout.Token(600);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions
        {
            Target = target.EndPoint,
            LogLevel = "warning",
            RelayLimits = ["max-streams: 2000"], // the default is 256 concurrent streams per key
            ServerLimits = ["max-streams: 2000"],
        }, ct);
        int relayPid = chain.Relay!.Runner.Id;
        await Recovery.ProbeAsync(chain.LocalForward, TimeSpan.FromSeconds(10), ct);
        long before = ProcessMemory.ResidentBytes(relayPid);

        await using ConnectionSwarm swarm = await ConnectionSwarm.OpenAsync(chain.LocalForward, Connections, 4096, parallelConnects: 100, ct);
        Assert.Equal(Connections, swarm.Count);
        Assert.Equal(Connections, target.Active); // every connection is live end to end at the same time
        long during = ProcessMemory.ResidentBytes(relayPid);
        await swarm.FinishAsync(4096, ct);

        double perConnection = (during - before) / (double)Connections;
        string line = FormattableString.Invariant($"load: {Connections} concurrent forwarded connections, each 2 × 4 KiB echoed and checked; relay RSS {before / 1048576.0:0.0} MiB idle → {during / 1048576.0:0.0} MiB with all open: {perConnection / 1024:0.0} KiB per connection");
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        Console.WriteLine(line);
        Assert.True(chain.Relay is { Runner.HasExited: false }, chain.Diagnostics());
    }
}
