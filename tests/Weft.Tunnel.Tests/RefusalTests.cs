using System.Net.Sockets;
using Weft.Crypto.Keys;
using Weft.Testing;
using Weft.Tunnel.Access;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Status;
using Weft.Tunnel.Tests.Support;

namespace Weft.Tunnel.Tests;

public sealed class RefusalTests
{
    [Fact]
    public async Task UnknownClientKey_RelayRefusesWithClearMessage()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var (relay, _, _) = await harness.StartChainAsync();
        using var stranger = Ed25519Identity.Generate();
        ClientAgent client = await harness.StartClientAsync(relay.BoundAddresses[0].ToString(), [ForwardSpec.Local(0, "office", "127.0.0.1", target.Port)], stranger);
        await client.WaitForSessionAsync(ct);

        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "127.0.0.1", target.Port, ct));
        Assert.Equal($"relay: key {stranger.PublicKey} is not allowed to reach server 'office'", ex.Message);
        Assert.Equal(RouteStatus.NotAllowed, ex.Status);
        Assert.Equal(RouteHop.Relay, ex.Hop);

        // The same through -L: the local connection is reset and the forward records why.
        await AssertConnectionClosedAsync(TunnelHarness.EndPointOf(client), ct);
        Assert.Equal(ex.Message, client.GetStatus().Forwards[0].LastError);
        Assert.Equal(0, target.Accepted);
    }

    [Fact]
    public async Task KeyNotAllowedForServer_RelayRefuses()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        RelayAcl acl = harness.DefaultRelayAcl();
        using var other = Ed25519Identity.Generate();
        acl = new RelayAcl
        {
            ServerNames = [.. acl.ServerNames, new ServerNameRule("lab", KeySet.Of(other.PublicKey.ToString()))],
            Clients = acl.Clients,
        };
        TunnelRelay relay = await harness.StartRelayAsync(acl);
        string address = relay.BoundAddresses[0].ToString();
        ServerAgent lab = await harness.StartServerAsync(address, names: ["lab"], identity: other);
        ClientAgent client = await harness.StartClientAsync(address, []);
        await lab.WaitForSessionAsync(ct);
        await client.WaitForSessionAsync(ct);

        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("lab", "127.0.0.1", 22, ct));
        Assert.Equal($"relay: key {harness.ClientKey} is not allowed to reach server 'lab'", ex.Message);
    }

    [Fact]
    public async Task NoSuchServer_RelaySaysSo()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        TunnelRelay relay = await harness.StartRelayAsync(new RelayAcl { Clients = [new ServerAccessRule(KeySet.Any, ["*"])] });
        ClientAgent client = await harness.StartClientAsync(relay.BoundAddresses[0].ToString(), []);
        await client.WaitForSessionAsync(ct);

        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "127.0.0.1", 22, ct));
        Assert.Equal("relay: no server named 'office'", ex.Message);
        Assert.Equal(RouteStatus.NoSuchServer, ex.Status);
    }

    [Fact]
    public async Task TargetNotAllowed_ServerRefusesWithKey()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        var (_, server, client) = await harness.StartChainAsync();

        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "10.0.0.5", 22, ct));
        Assert.Equal($"server: target 10.0.0.5:22 not allowed for key {harness.ClientKey}", ex.Message);
        Assert.Equal(RouteStatus.TargetNotAllowed, ex.Status);
        Assert.Equal(RouteHop.Server, ex.Hop);

        // An allowed address on a port outside the rule's range is refused too.
        var narrow = new ServerAcl { Targets = [TargetRule.Parse([harness.ClientKey], "127.0.0.1", "80")] };
        Assert.False(narrow.AllowsName(harness.ClientKey, "127.0.0.1", 22, TargetProtocol.Tcp));
        Assert.Equal(1, server.GetStatus().RefusedStreams);
    }

    [Fact]
    public async Task AddressRule_NameResolvingOutside_Refused_Inside_Allowed()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        TunnelRelay relay = await harness.StartRelayAsync();
        string address = relay.BoundAddresses[0].ToString();
        var acl = new ServerAcl { Targets = [TargetRule.Parse([harness.ClientKey], "127.0.0.0/8", "*", TargetProtocol.Tcp)] };
        ServerAgent server = await harness.StartServerAsync(address, acl);
        ClientAgent client = await harness.StartClientAsync(address, []);
        await server.WaitForSessionAsync(ct);
        await client.WaitForSessionAsync(ct);

        // "localhost" resolves into 127/8 (and maybe ::1, which the rule filters out).
        await using Stream ok = await client.ConnectAsync("office", "localhost", target.Port, ct);
        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "::1", target.Port, ct));
        Assert.Equal($"server: target [::1]:{target.Port} not allowed for key {harness.ClientKey}", ex.Message);
    }

    [Fact]
    public async Task TargetRefusesConnection_ServerSaysSo()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        var (_, _, client) = await harness.StartChainAsync();
        int closedPort;
        using (var probe = new TcpListenerProbe())
        {
            closedPort = probe.Port;
        }

        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "127.0.0.1", closedPort, ct));
        Assert.Equal($"server: connection refused by target 127.0.0.1:{closedPort}", ex.Message);
        Assert.Equal(RouteStatus.ConnectionRefused, ex.Status);
    }

    [Fact]
    public async Task RelayFull_RefusedUntilAStreamEnds()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        TunnelRelay relay = await harness.StartRelayAsync(limits: new TunnelLimits { MaxTotalStreams = 1 });
        string address = relay.BoundAddresses[0].ToString();
        ServerAgent server = await harness.StartServerAsync(address);
        ClientAgent client = await harness.StartClientAsync(address, []);
        await server.WaitForSessionAsync(ct);
        await client.WaitForSessionAsync(ct);

        Stream first = await client.ConnectAsync("office", "127.0.0.1", target.Port, ct);
        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "127.0.0.1", target.Port, ct));
        Assert.Equal("relay: at capacity (1 streams open); try again later", ex.Message);
        Assert.Equal(RouteStatus.Full, ex.Status);

        await first.DisposeAsync();
        await WaitUntilAsync(() => relay.GetStatus().ActiveStreams == 0, ct);
        await using Stream again = await client.ConnectAsync("office", "127.0.0.1", target.Port, ct);
    }

    [Fact]
    public async Task PerKeyStreamLimit_Refused()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var limits = new TunnelLimits { PerKey = new Dictionary<string, KeyLimits> { [harness.ClientKey] = new() { MaxConcurrentStreams = 2 } } };
        TunnelRelay relay = await harness.StartRelayAsync(limits: limits);
        string address = relay.BoundAddresses[0].ToString();
        ServerAgent server = await harness.StartServerAsync(address);
        ClientAgent client = await harness.StartClientAsync(address, []);
        await server.WaitForSessionAsync(ct);
        await client.WaitForSessionAsync(ct);

        await using Stream a = await client.ConnectAsync("office", "127.0.0.1", target.Port, ct);
        await using Stream b = await client.ConnectAsync("office", "127.0.0.1", target.Port, ct);
        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "127.0.0.1", target.Port, ct));
        Assert.Equal($"relay: stream limit reached for key {harness.ClientKey} (2 concurrent streams)", ex.Message);
        Assert.Equal(RouteStatus.LimitReached, ex.Status);
    }

    [Fact]
    public async Task ServerKeyNotOwningName_RegistrationRefused()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        TunnelRelay relay = await harness.StartRelayAsync();
        using var impostor = Ed25519Identity.Generate();
        ServerAgent server = await harness.StartServerAsync(relay.BoundAddresses[0].ToString(), identity: impostor);

        await WaitUntilAsync(() => server.GetStatus().Sessions[0].LastError is not null, ct);
        TunnelSessionStatus session = server.GetStatus().Sessions[0];
        Assert.Equal($"relay: registration refused: key {impostor.PublicKey} may not serve 'office'", session.LastError);
        Assert.NotEqual(TunnelSessionState.Connected, session.State);
        Assert.DoesNotContain(relay.GetStatus().Sessions, s => s.Names.Count > 0);
    }

    [Fact]
    public async Task UnauthenticatedRelay_AgentRefusesToUseIt_RelayClosesRawConnections()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        TunnelRelay relay = await harness.StartRelayAsync(listen: "net:127.0.0.1:0");
        string address = relay.BoundAddresses[0].ToString();
        ClientAgent client = await harness.StartClientAsync(address, []);
        await WaitUntilAsync(() => client.GetStatus().Sessions[0].LastError is not null, ct);
        Assert.Contains("is not authenticated: add a security layer", client.GetStatus().Sessions[0].LastError, StringComparison.Ordinal);

        // A raw connection that speaks yamux at once is closed unserved.
        var endPoint = System.Net.IPEndPoint.Parse(address["net:".Length..]);
        using Socket raw = await TunnelHarness.ConnectAsync(endPoint, ct);
        await AssertClosedAsync(raw, ct);
        Assert.Empty(relay.GetStatus().Sessions);
    }

    [Fact]
    public async Task NoSession_LocalConnectionResetPromptly_ReasonLogged()
    {
        CancellationToken ct = TestTimeout.Token(30);
        await using var harness = new TunnelHarness();
        int closedPort;
        using (var probe = new TcpListenerProbe())
        {
            closedPort = probe.Port;
        }

        ClientAgent client = await harness.StartClientAsync($"net:127.0.0.1:{closedPort}~shs:{harness.RelayKey}", [ForwardSpec.Local(0, "office", "127.0.0.1", 9)]);
        await AssertConnectionClosedAsync(TunnelHarness.EndPointOf(client), ct);
        TunnelForwardStatus forward = client.GetStatus().Forwards[0];
        Assert.Equal(1, forward.RefusedConnections);
        Assert.StartsWith($"client: no session to net:127.0.0.1:{closedPort}", forward.LastError, StringComparison.Ordinal);
    }

    /// <summary>A connection to <paramref name="endPoint"/> is closed or reset without data (the reset may even beat the connect's completion).</summary>
    internal static async Task AssertConnectionClosedAsync(System.Net.IPEndPoint endPoint, CancellationToken ct)
    {
        Socket socket;
        try
        {
            socket = await TunnelHarness.ConnectAsync(endPoint, ct);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return;
        }

        using (socket)
        {
            await AssertClosedAsync(socket, ct);
        }
    }

    /// <summary>The peer closed (reset or FIN) without sending anything, within a few seconds: never a hang.</summary>
    internal static async Task AssertClosedAsync(Socket socket, CancellationToken ct)
    {
        using var prompt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        prompt.CancelAfter(TestTimeout.Scaled(TimeSpan.FromSeconds(10)));
        byte[] buffer = new byte[16];
        try
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, prompt.Token);
            Assert.Equal(0, n);
        }
        catch (SocketException ex)
        {
            Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Finds a free port (listening and then closing it).</summary>
    private sealed class TcpListenerProbe : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);

        public TcpListenerProbe() => _listener.Start();

        public int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

        public void Dispose() => _listener.Stop();
    }
}
