using System.Net;
using System.Net.Sockets;
using Weft.Testing;
using Weft.Tunnel.Access;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Status;
using Weft.Tunnel.Tests.Support;

namespace Weft.Tunnel.Tests;

/// <summary>The hosts' lifecycle API: Changed events instead of polling, Completion, and reconnect backoff on an injected clock.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task ClientAgent_RaisesSessionAndReverseForwardEvents_AcrossARelayRestart_ThenCompletes()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var relayEvents = new EventLog();
        TunnelRelay relay = await harness.StartRelayAsync(beforeStart: h => h.Changed += relayEvents.Add);
        string address = relay.BoundAddresses[0].ToString();
        int relayPort = IPEndPoint.Parse(relay.BoundAddresses[0].Alternatives[0].Transport.ToString()["net:".Length..]).Port;
        var events = new EventLog();
        ClientAgent client = await harness.StartClientAsync(address, [ForwardSpec.Remote(0, "127.0.0.1", target.Port)], beforeStart: h => h.Changed += events.Add);

        TunnelEventArgs up = await events.WaitForAsync(e => e.Kind == TunnelEventKind.SessionUp, ct);
        Assert.True(up.IsUpstream);
        Assert.Equal(address, up.Address);
        Assert.Equal(1, up.Generation);
        Assert.Equal(harness.RelayKey, up.PeerKey);
        TunnelEventArgs bound = await events.WaitForAsync(e => e.Kind == TunnelEventKind.ForwardBound, ct);
        Assert.Equal(ForwardKind.Remote, bound.Forward!.Kind);
        Assert.Equal(client.GetStatus().Forwards[0].BoundEndPoint, bound.BoundEndPoint);

        // The relay saw the agent come up and opened the -R port for it: its status names the agent, not a placeholder.
        TunnelEventArgs peer = await relayEvents.WaitForAsync(e => e.Kind == TunnelEventKind.SessionUp, ct);
        Assert.False(peer.IsUpstream);
        Assert.Equal(harness.ClientKey, peer.PeerKey);
        TunnelEventArgs opened = await relayEvents.WaitForAsync(e => e.Kind == TunnelEventKind.ForwardBound, ct);
        Assert.Equal(harness.ClientKey, opened.PeerKey);
        Assert.Equal(bound.BoundEndPoint, opened.BoundEndPoint);
        Assert.Equal(harness.ClientKey, relay.GetStatus().Forwards.Single().Owner);
        Assert.Null(client.GetStatus().Forwards[0].Owner);

        await harness.StopAsync(relay);
        await relay.Completion.WaitAsync(ct); // completed by the stop
        TunnelEventArgs down = await events.WaitForAsync(e => e.Kind == TunnelEventKind.SessionDown, ct);
        Assert.Equal(1, down.Generation);
        Assert.False(string.IsNullOrEmpty(down.Reason));
        TunnelEventArgs unbound = await events.WaitForAsync(e => e.Kind == TunnelEventKind.ForwardUnbound, ct);
        Assert.Equal(bound.BoundEndPoint, unbound.BoundEndPoint);

        await harness.StartRelayAsync(listen: $"net:127.0.0.1:{relayPort}~shs");
        TunnelEventArgs again = await events.WaitForAsync(e => e.Kind == TunnelEventKind.SessionUp && e.Generation == 2, ct);
        Assert.True(again.IsUpstream);
        await events.WaitForAsync(e => e.Kind == TunnelEventKind.ForwardBound && e != bound, ct);

        Assert.False(client.Completion.IsCompleted);
        await harness.StopAsync(client);
        Assert.True(client.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task ServerAgent_RaisesUpstreamAndDirectPeerEvents()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        TunnelRelay relay = await harness.StartRelayAsync();
        var events = new EventLog();
        var server = new ServerAgent(new ServerAgentOptions
        {
            Registry = harness.Registry(harness.ServerId),
            Relays = [relay.BoundAddresses[0].ToString()],
            Listen = ["net:127.0.0.1:0~shs"],
            Names = ["office"],
            Acl = harness.DefaultServerAcl(),
            Reconnect = TunnelHarness.FastReconnect,
        });
        harness.Own(server);
        server.Changed += events.Add;
        await server.StartAsync(ct);

        TunnelEventArgs up = await events.WaitForAsync(e => e.Kind == TunnelEventKind.SessionUp && e.IsUpstream, ct);
        Assert.Equal(harness.RelayKey, up.PeerKey);

        ClientAgent direct = await harness.StartClientAsync(server.BoundAddresses[0].ToString(), [ForwardSpec.Local(0, "office", "127.0.0.1", target.Port)]);
        await direct.WaitForSessionAsync(ct);
        TunnelEventArgs peer = await events.WaitForAsync(e => e.Kind == TunnelEventKind.SessionUp && !e.IsUpstream, ct);
        Assert.Equal(harness.ClientKey, peer.PeerKey);
        await harness.StopAsync(direct);
        TunnelEventArgs gone = await events.WaitForAsync(e => e.Kind == TunnelEventKind.SessionDown && !e.IsUpstream, ct);
        Assert.Equal(peer.Address, gone.Address);
    }

    [Fact]
    public async Task Changed_AThrowingHandler_DoesNotStopTheHostOrOtherHandlers()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        TunnelRelay relay = await harness.StartRelayAsync();
        var events = new EventLog();
        ClientAgent client = await harness.StartClientAsync(
            relay.BoundAddresses[0].ToString(),
            [ForwardSpec.Remote(0, "127.0.0.1", target.Port)],
            beforeStart: h =>
            {
                h.Changed += (_, _) => throw new InvalidOperationException("a broken handler");
                h.Changed += events.Add;
            });
        await events.WaitForAsync(e => e.Kind == TunnelEventKind.ForwardBound, ct);
        IPEndPoint onRelay = IPEndPoint.Parse(client.GetStatus().Forwards[0].BoundEndPoint!);
        Assert.True(await ReconnectTests.TransferAsync(onRelay, 64 * 1024, 5, ct));
    }

    [Fact]
    public async Task Reconnect_OnAManualClock_WaitsForTheBackoffAndRedialsWhenItHasPassed()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        TunnelRelay relay = await harness.StartRelayAsync();
        int relayPort = IPEndPoint.Parse(relay.BoundAddresses[0].Alternatives[0].Transport.ToString()["net:".Length..]).Port;
        var clock = new ManualTimeProvider();

        // An hour of backoff: on the real clock this test could never see the second session.
        var policy = new ReconnectPolicy { InitialDelay = TimeSpan.FromHours(1), MaxDelay = TimeSpan.FromHours(1), ResetAfter = TimeSpan.FromHours(2) };
        var events = new EventLog();
        ClientAgent client = await harness.StartClientAsync(relay.BoundAddresses[0].ToString(), [], beforeStart: h => h.Changed += events.Add, time: clock, reconnect: policy);
        await client.WaitForSessionAsync(ct);

        await harness.StopAsync(relay);
        await events.WaitForAsync(e => e.Kind == TunnelEventKind.SessionDown, ct);
        await harness.StartRelayAsync(listen: $"net:127.0.0.1:{relayPort}~shs");
        await RefusalTests.WaitUntilAsync(() => clock.ActiveTimerCount > 0, ct);

        // The relay is back, but the agent keeps to its schedule: no dial before the clock moves.
        await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        TunnelSessionStatus waiting = client.GetStatus().Sessions.Single();
        Assert.Equal(TunnelSessionState.WaitingToRetry, waiting.State);
        Assert.Equal(1, waiting.Generation);

        // The worst case of the schedule is MaxDelay: once that much time has passed, the agent has redialled.
        clock.Advance(policy.MaxDelay);
        TunnelEventArgs up = await events.WaitForAsync(e => e.Kind == TunnelEventKind.SessionUp && e.Generation == 2, ct);
        Assert.True(up.IsUpstream);
        Assert.Equal(TunnelSessionState.Connected, client.GetStatus().Sessions.Single().State);
    }

    /// <summary>Collects a host's events; waits for one that matches.</summary>
    private sealed class EventLog
    {
        private readonly List<TunnelEventArgs> _events = [];
        private readonly Lock _sync = new();

        public void Add(object? sender, TunnelEventArgs change)
        {
            lock (_sync)
            {
                _events.Add(change);
            }
        }

        public async Task<TunnelEventArgs> WaitForAsync(Func<TunnelEventArgs, bool> match, CancellationToken ct)
        {
            while (true)
            {
                lock (_sync)
                {
                    if (_events.FirstOrDefault(match) is { } found)
                    {
                        return found;
                    }
                }

                await Task.Delay(10, ct);
            }
        }
    }
}
