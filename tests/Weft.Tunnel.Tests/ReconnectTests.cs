using System.Net;
using System.Net.Sockets;
using Weft.Testing;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Status;
using Weft.Tunnel.Tests.Support;

namespace Weft.Tunnel.Tests;

/// <summary>PTTH's "sad cases": restart any process, cut the links; the agents replace their sessions and new connections work.</summary>
public sealed class ReconnectTests
{
    [Fact]
    public async Task RelayRestarted_BeforeTransfers_AgentsReconnectThroughChaosProxy()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        await using var setup = await ChainThroughProxyAsync(harness, target);
        Assert.True(await TransferAsync(setup.LocalEndPoint, 256 * 1024, 1, ct));

        int port = setup.RelayPort;
        await harness.StopAsync(setup.Relay);
        TunnelRelay again = await harness.StartRelayAsync(listen: $"net:127.0.0.1:{port}~shs");
        await WaitForGenerationAsync(setup.Server, 2, ct);
        await WaitForGenerationAsync(setup.Client, 2, ct);
        Assert.True(await TransferAsync(setup.LocalEndPoint, 256 * 1024, 2, ct));
        Assert.Equal(2, again.GetStatus().Sessions.Count);
    }

    [Fact]
    public async Task RelayRestarted_DuringTransfer_ConnectionResetNotHung_NewOnesWork()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        await using var setup = await ChainThroughProxyAsync(harness, target);

        using Socket inFlight = await TunnelHarness.ConnectAsync(setup.LocalEndPoint, ct);
        using var stream = new NetworkStream(inFlight, ownsSocket: false);
        await stream.WriteAsync(Patterns.Create(100_000), ct);
        await stream.ReadExactlyAsync(new byte[100_000], ct);

        int port = setup.RelayPort;
        await harness.StopAsync(setup.Relay);

        // The proxied connection on the dead session is reset (or closed), promptly.
        await AssertEndsAsync(stream, ct);

        await harness.StartRelayAsync(listen: $"net:127.0.0.1:{port}~shs");
        await WaitForGenerationAsync(setup.Server, 2, ct);
        await WaitForGenerationAsync(setup.Client, 2, ct);
        Assert.True(await TransferAsync(setup.LocalEndPoint, 1024 * 1024, 3, ct));
    }

    [Fact]
    public async Task ServerAgentRestarted_ClientSeesNoServerThenWorksAgain()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        await using var setup = await ChainThroughProxyAsync(harness, target);
        Assert.True(await TransferAsync(setup.LocalEndPoint, 64 * 1024, 1, ct));

        await harness.StopAsync(setup.Server);
        await RefusalTests.WaitUntilAsync(() => setup.Relay.GetStatus().Sessions.Count == 1, ct);
        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await setup.Client.ConnectAsync("office", "127.0.0.1", target.Port, ct));
        Assert.Equal("relay: no server named 'office'", ex.Message);

        ServerAgent again = await harness.StartServerAsync(setup.ProxyAddress);
        await again.WaitForSessionAsync(ct);
        Assert.True(await TransferAsync(setup.LocalEndPoint, 512 * 1024, 4, ct));
    }

    [Fact]
    public async Task ChaosCutAll_SessionsReplaced_InFlightReset_NewConnectionsWork()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        await using var setup = await ChainThroughProxyAsync(harness, target, new ChaosProxyOptions { Delay = TimeSpan.FromMilliseconds(2), Jitter = TimeSpan.FromMilliseconds(2) });

        using Socket inFlight = await TunnelHarness.ConnectAsync(setup.LocalEndPoint, ct);
        using var stream = new NetworkStream(inFlight, ownsSocket: false);
        await stream.WriteAsync(Patterns.Create(1000), ct);
        await stream.ReadExactlyAsync(new byte[1000], ct);

        setup.Proxy.CutAll();
        await AssertEndsAsync(stream, ct);
        await WaitForGenerationAsync(setup.Server, 2, ct);
        await WaitForGenerationAsync(setup.Client, 2, ct);
        Assert.True(await TransferAsync(setup.LocalEndPoint, 1024 * 1024, 5, ct));
    }

    [Fact]
    public async Task ChaosBandwidthCapAndDelay_TransfersComplete()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        await using var setup = await ChainThroughProxyAsync(harness, target, new ChaosProxyOptions { Delay = TimeSpan.FromMilliseconds(5), Jitter = TimeSpan.FromMilliseconds(5), BytesPerSecond = 4_000_000 });
        bool[] results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => TransferAsync(setup.LocalEndPoint, 256 * 1024, 20 + i, ct)));
        Assert.All(results, Assert.True);
    }

    [Fact]
    public async Task StartOrder_ClientBeforeRelayBeforeServer_AllConnectEventually()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        string address = $"net:127.0.0.1:{port}~shs:{harness.RelayKey}";
        ClientAgent client = await harness.StartClientAsync(address, [ForwardSpec.Local(0, "office", "127.0.0.1", target.Port)]);
        // Not a fixed sleep: on a loaded machine a dial attempt may be under way (Connecting) at any given moment.
        await RefusalTests.WaitUntilAsync(() => client.GetStatus().Sessions[0] is { State: TunnelSessionState.WaitingToRetry, LastError: not null }, ct);
        await harness.StartRelayAsync(listen: $"net:127.0.0.1:{port}~shs");
        await client.WaitForSessionAsync(ct);
        ServerAgent server = await harness.StartServerAsync(address);
        await server.WaitForSessionAsync(ct);
        Assert.True(await TransferAsync(TunnelHarness.EndPointOf(client), 128 * 1024, 6, ct));
    }

    internal static async Task<bool> TransferAsync(IPEndPoint endPoint, int size, int seed, CancellationToken ct)
    {
        using Socket s = await TunnelHarness.ConnectAsync(endPoint, ct);
        using var ns = new NetworkStream(s, ownsSocket: false);
        Task<(long Length, byte[] Sha256)> echo = Patterns.ReadAndHashAsync(ns, cancellationToken: ct);
        byte[] sent = await Patterns.WriteAsync(ns, size, seed, cancellationToken: ct);
        s.Shutdown(SocketShutdown.Send);
        var (length, hash) = await echo;
        return length == size && hash.AsSpan().SequenceEqual(sent);
    }

    private static async Task AssertEndsAsync(Stream stream, CancellationToken ct)
    {
        using var prompt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        prompt.CancelAfter(TestTimeout.Scaled(TimeSpan.FromSeconds(20)));
        try
        {
            byte[] buffer = new byte[4096];
            while (await stream.ReadAsync(buffer, prompt.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset: what a proxied connection on a dead session gets.
        }
    }

    private static async Task WaitForGenerationAsync(ITunnelHost host, int generation, CancellationToken ct) =>
        await RefusalTests.WaitUntilAsync(
            () => host.GetStatus().Sessions is [{ State: TunnelSessionState.Connected } s, ..] && s.Generation >= generation, ct);

    private static async Task<Setup> ChainThroughProxyAsync(TunnelHarness harness, TargetServer target, ChaosProxyOptions? options = null)
    {
        CancellationToken ct = TestTimeout.Token();
        TunnelRelay relay = await harness.StartRelayAsync();
        var relayEndPoint = IPEndPoint.Parse(relay.BoundAddresses[0].Alternatives[0].Transport.ToString()["net:".Length..]);
        ChaosProxy proxy = ChaosProxy.Start(relayEndPoint, options);
        string proxyAddress = $"net:127.0.0.1:{proxy.EndPoint.Port}~shs:{harness.RelayKey}";
        ServerAgent server = await harness.StartServerAsync(proxyAddress);
        ClientAgent client = await harness.StartClientAsync(proxyAddress, [ForwardSpec.Local(0, "office", "127.0.0.1", target.Port)]);
        await server.WaitForSessionAsync(ct);
        await client.WaitForSessionAsync(ct);
        return new Setup(relay, relayEndPoint.Port, proxy, proxyAddress, server, client, TunnelHarness.EndPointOf(client));
    }

    private sealed record Setup(TunnelRelay Relay, int RelayPort, ChaosProxy Proxy, string ProxyAddress, ServerAgent Server, ClientAgent Client, IPEndPoint LocalEndPoint) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Proxy.DisposeAsync();
    }
}
