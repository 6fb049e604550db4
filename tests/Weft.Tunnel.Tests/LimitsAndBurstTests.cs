using System.Diagnostics;
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

/// <summary>The per-key bandwidth limit, the relay's session limit, <c>-R</c> in direct mode, and a UDP burst.</summary>
public sealed class LimitsAndBurstTests
{
    [Fact]
    public async Task BandwidthLimit_PerKey_IsSharedByAllTheKeysStreams()
    {
        CancellationToken ct = TestTimeout.Token(120);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        const int rate = 64 * 1024;
        var limits = new TunnelLimits { PerKey = new Dictionary<string, KeyLimits> { [harness.ClientKey] = new() { BytesPerSecond = rate } } };
        TunnelRelay relay = await harness.StartRelayAsync(limits: limits);
        string address = relay.BoundAddresses[0].ToString();
        ServerAgent server = await harness.StartServerAsync(address);
        ClientAgent client = await harness.StartClientAsync(address, [ForwardSpec.Local(0, "office", "127.0.0.1", target.Port)]);
        await server.WaitForSessionAsync(ct);
        await client.WaitForSessionAsync(ct);
        IPEndPoint local = TunnelHarness.EndPointOf(client);

        // Two streams of 96 KiB each way: 384 KiB through the key's one bucket (both directions count). With one second
        // of burst it lets them through no sooner than (384 - 64) / 64 = 5 s; a bucket per stream would allow 2 s, none ~0 s.
        // (A lower bound only: a loaded machine makes it slower, never faster.)
        var clock = Stopwatch.StartNew();
        bool[] ok = await Task.WhenAll(
            ReconnectTests.TransferAsync(local, 96 * 1024, 31, ct),
            ReconnectTests.TransferAsync(local, 96 * 1024, 32, ct));
        TimeSpan elapsed = clock.Elapsed;
        Assert.All(ok, Assert.True);
        Assert.True(elapsed >= TimeSpan.FromSeconds(3.5), $"2 x 96 KiB each way at {rate} B/s took only {elapsed.TotalSeconds:0.00} s");
        TestContext.Current.TestOutputHelper?.WriteLine($"2 x 96 KiB each way under a 64 KiB/s key limit: {elapsed.TotalSeconds:0.00} s");
        Assert.Equal(0, relay.GetStatus().RefusedStreams); // slowed down, never refused
    }

    [Fact]
    public async Task MaxSessions_OnePastTheLimitIsClosed_AndGetsInWhenASessionEnds()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        TunnelRelay relay = await harness.StartRelayAsync(limits: new TunnelLimits { MaxSessions = 1 });
        string address = relay.BoundAddresses[0].ToString();
        ServerAgent server = await harness.StartServerAsync(address);
        await server.WaitForSessionAsync(ct);

        ClientAgent client = await harness.StartClientAsync(address, [ForwardSpec.Local(0, "office", "127.0.0.1", target.Port)]);
        await RefusalTests.WaitUntilAsync(() => client.GetStatus().Sessions.Single().LastError is not null, ct);

        // Over several of the client's retries the relay never holds more than one session, and no route opens.
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(harness.ServerKey, relay.GetStatus().Sessions.Single().PeerKey);
            await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "127.0.0.1", target.Port, ct));
            await Task.Delay(100, ct);
        }

        Assert.Equal(0, target.Accepted);

        // A session ends: the next retry of the client gets in.
        await harness.StopAsync(server);
        await RefusalTests.WaitUntilAsync(() => relay.GetStatus().Sessions is [{ PeerKey: var key }] && key == harness.ClientKey, ct);
        await client.WaitForSessionAsync(ct);
    }

    [Fact]
    public async Task Remote_InDirectMode_PortOpensOnTheServerAgent_AndLeadsBackToTheClientsTarget()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        ServerAgent server = await harness.StartServerAsync(
            null,
            listen: ["net:127.0.0.1:0~shs"],
            reverse: [new ReverseForwardRule(KeySet.Of(harness.ClientKey), PortRange.Any)]);
        ClientAgent client = await harness.StartClientAsync(server.BoundAddresses[0].ToString(), [ForwardSpec.Remote(0, "127.0.0.1", target.Port)]);
        await RefusalTests.WaitUntilAsync(() => client.GetStatus().Forwards[0].BoundEndPoint is not null, ct);
        IPEndPoint onServer = IPEndPoint.Parse(client.GetStatus().Forwards[0].BoundEndPoint!);

        TunnelForwardStatus opened = server.GetStatus().Forwards.Single();
        Assert.Equal(onServer.ToString(), opened.BoundEndPoint);
        Assert.Equal(harness.ClientKey, opened.Owner);
        Assert.True(await ReconnectTests.TransferAsync(onServer, 512 * 1024, 41, ct));
        Assert.Equal(1, target.Accepted);

        // Another key may not open a port there.
        ClientAgent stranger = await harness.StartClientAsync(server.BoundAddresses[0].ToString(), [ForwardSpec.Remote(0, "127.0.0.1", target.Port)], identity: harness.RelayId);
        await RefusalTests.WaitUntilAsync(() => stranger.GetStatus().Forwards[0].LastError is not null, ct);
        Assert.Equal($"server: key {harness.RelayKey} may not open port 0 on 127.0.0.1", stranger.GetStatus().Forwards[0].LastError);
        Assert.Single(server.GetStatus().Forwards);
    }

    [Fact]
    public async Task Udp_BurstOf50_BackToBack_ArrivesWholeAndInOrder()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int echoPort = ((IPEndPoint)echo.LocalEndPoint!).Port;
        Task echoLoop = Task.Run(async () =>
        {
            byte[] buffer = new byte[65535];
            while (!ct.IsCancellationRequested)
            {
                SocketReceiveFromResult r = await echo.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct);
                await echo.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint, ct);
            }
        }, ct);

        var (_, _, client) = await harness.StartChainAsync(ForwardSpec.Udp(0, "office", "127.0.0.1", echoPort));
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Connect(TunnelHarness.EndPointOf(client));
        byte[] reply = new byte[65535];

        // Open the flow first (its route is set up by the first datagram), then the burst.
        await udp.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
        Assert.Equal(1, await udp.ReceiveAsync(reply, SocketFlags.None, ct));
        int[] sizes = [.. Enumerable.Range(0, 50).Select(i => 1 + (i * 977 % 8000))];
        foreach (int size in sizes)
        {
            udp.Send(Patterns.Create(size, seed: size));
        }

        for (int i = 0; i < sizes.Length; i++)
        {
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quiet.CancelAfter(TestTimeout.Scaled(TimeSpan.FromSeconds(10)));
            int n;
            try
            {
                n = await udp.ReceiveAsync(reply, SocketFlags.None, quiet.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Assert.Fail($"only {i} of {sizes.Length} datagrams of the burst came back; status: {client.GetStatus().Forwards[0]}");
                throw;
            }

            Assert.Equal(sizes[i], n);
            Assert.True(reply.AsSpan(0, n).SequenceEqual(Patterns.Create(n, seed: n)), $"datagram {i} ({n} bytes) came back changed");
        }
    }
}
