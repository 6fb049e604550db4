using System.Text.Json;
using Weft.EndToEnd.Fixtures;

namespace Weft.TunnelBench;

/// <summary>
/// N concurrent connections through the weft chain, all open at once with checked echoes; the relay's
/// resident memory before and with all of them open gives the memory per forwarded connection.
/// </summary>
internal static class ConnectionMemory
{
    public static async Task<bool> RunAsync(WeftChain chain, int connections, TextWriter? json, CancellationToken cancellationToken)
    {
        int relay = chain.Relay!.Runner.Id;
        Program.Log($"memory: opening {connections} concurrent connections through the weft chain");
        try
        {
            await Recovery.ProbeAsync(chain.LocalForward, TimeSpan.FromSeconds(10), cancellationToken);
            long before = ProcessMemory.ResidentBytes(relay);
            await using ConnectionSwarm swarm = await ConnectionSwarm.OpenAsync(chain.LocalForward, connections, 4096, parallelConnects: 100, cancellationToken);
            long during = ProcessMemory.ResidentBytes(relay);
            await swarm.FinishAsync(4096, cancellationToken);
            double perConnection = (during - before) / (double)connections;
            Console.WriteLine();
            Console.WriteLine(FormattableString.Invariant($"memory: {connections} concurrent forwarded connections (each 2 × 4 KiB echoed, checked): relay RSS {before / 1048576.0:0.0} MiB → {during / 1048576.0:0.0} MiB = {perConnection / 1024:0.0} KiB per connection"));
            json?.WriteLine(JsonSerializer.Serialize(new { scenario = "relay-memory", connections, rss_before = before, rss_during = during, bytes_per_connection = perConnection }));
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Program.Log($"memory: FAILED {e.GetType().Name}: {e.Message}");
            return false;
        }
    }
}
