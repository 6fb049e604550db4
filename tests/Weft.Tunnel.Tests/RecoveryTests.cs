using Weft.Testing;
using Weft.Tunnel.Access;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Tests.Support;

namespace Weft.Tunnel.Tests;

/// <summary>How fast a restarted server agent is reachable again: the relay does not wait for the old session to time out.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task RestartedServerAgent_TakesItsNameOverAtOnce_WhileTheOldSessionStillLooksAlive()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        TunnelRelay relay = await harness.StartRelayAsync();
        string address = relay.BoundAddresses[0].ToString();

        // The "old" process: same key and name, but it allows no target, so a route that reaches it is refused.
        ServerAgent old = await harness.StartServerAsync(address, acl: new ServerAcl());
        await old.WaitForSessionAsync(ct);
        ClientAgent client = await harness.StartClientAsync(address, [ForwardSpec.Local(0, "office", "127.0.0.1", target.Port)]);
        await client.WaitForSessionAsync(ct);
        var refused = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "127.0.0.1", target.Port, ct));
        Assert.StartsWith("server: target 127.0.0.1:", refused.Message, StringComparison.Ordinal);

        // The "new" process registers while the relay still holds the old session (as after a crash whose
        // connection the relay has not seen die yet: only a keepalive timeout would tell). Its registration takes
        // the name over at once; the very next route goes to it.
        ServerAgent restarted = await harness.StartServerAsync(address);
        await restarted.WaitForSessionAsync(ct);
        Assert.Equal(3, relay.GetStatus().Sessions.Count);
        await using (Stream stream = await client.ConnectAsync("office", "127.0.0.1", target.Port, ct))
        {
            await stream.WriteAsync("ping"u8.ToArray(), ct);
            byte[] echo = new byte[4];
            await stream.ReadExactlyAsync(echo, ct);
            Assert.Equal("ping"u8.ToArray(), echo);
        }

        Assert.Equal(1, target.Accepted);
    }
}
