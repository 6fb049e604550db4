using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Testing;
using Weft.Tunnel.Access;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Tests.Support;

namespace Weft.Tunnel.Tests;

public sealed class ForwardKindsTests
{
    [Theory]
    [InlineData(1)] // IPv4
    [InlineData(3)] // domain name, resolved at the exit
    public async Task Socks5_Connect_BytesArriveExactly(byte addressType)
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var relay = await harness.StartRelayAsync();
        string address = relay.BoundAddresses[0].ToString();
        var acl = new ServerAcl { Targets = [TargetRule.Parse([harness.ClientKey], "127.0.0.1", "*"), TargetRule.Parse([harness.ClientKey], "localhost", "*")] };
        ServerAgent server = await harness.StartServerAsync(address, acl);
        ClientAgent client = await harness.StartClientAsync(address, [ForwardSpec.Dynamic(0, "office")]);
        await server.WaitForSessionAsync(ct);
        await client.WaitForSessionAsync(ct);

        using Socket socket = await TunnelHarness.ConnectAsync(TunnelHarness.EndPointOf(client), ct);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        byte reply = await SocksConnectAsync(stream, addressType, addressType == 1 ? "127.0.0.1" : "localhost", target.Port, ct);
        Assert.Equal(0, reply);

        const int Size = 2 * 1024 * 1024;
        Task<(long Length, byte[] Sha256)> echo = Patterns.ReadAndHashAsync(stream, cancellationToken: ct);
        byte[] sent = await Patterns.WriteAsync(stream, Size, seed: 3, cancellationToken: ct);
        socket.Shutdown(SocketShutdown.Send);
        var (length, hash) = await echo;
        Assert.Equal(Size, length);
        Assert.Equal(sent, hash);
    }

    [Fact]
    public async Task Socks5_Refusals_ProperReplies()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        var (_, _, client) = await harness.StartChainAsync(ForwardSpec.Dynamic(0, "office"));
        IPEndPoint endPoint = TunnelHarness.EndPointOf(client);

        // Target not allowed by the server's ACL -> 0x02; closed port -> 0x05.
        using (Socket s = await TunnelHarness.ConnectAsync(endPoint, ct))
        {
            Assert.Equal(2, await SocksConnectAsync(new NetworkStream(s), 1, "10.0.0.5", 22, ct));
        }

        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            int closed = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            using Socket s = await TunnelHarness.ConnectAsync(endPoint, ct);
            Assert.Equal(5, await SocksConnectAsync(new NetworkStream(s), 1, "127.0.0.1", closed, ct));
        }

        // Only "no authentication" is offered by us: a client asking for username/password gets 0xFF.
        using (Socket s = await TunnelHarness.ConnectAsync(endPoint, ct))
        {
            var ns = new NetworkStream(s);
            await ns.WriteAsync(new byte[] { 5, 1, 2 }, ct);
            byte[] answer = new byte[2];
            await ns.ReadExactlyAsync(answer, ct);
            Assert.Equal(new byte[] { 5, 0xFF }, answer);
            Assert.Equal(0, await ns.ReadAsync(new byte[1], ct));
        }

        // BIND (2) and UDP ASSOCIATE (3) -> 0x07 command not supported; address type 9 -> 0x08.
        foreach (byte command in new byte[] { 2, 3 })
        {
            using Socket s = await TunnelHarness.ConnectAsync(endPoint, ct);
            Assert.Equal(7, await SocksRequestAsync(new NetworkStream(s), command, 1, [127, 0, 0, 1], 80, ct));
        }

        using (Socket s = await TunnelHarness.ConnectAsync(endPoint, ct))
        {
            var ns = new NetworkStream(s);
            await ns.WriteAsync(new byte[] { 5, 1, 0 }, ct);
            await ns.ReadExactlyAsync(new byte[2], ct);
            await ns.WriteAsync(new byte[] { 5, 1, 0, 9 }, ct);
            byte[] answer = new byte[10];
            await ns.ReadExactlyAsync(answer, ct);
            Assert.Equal(8, answer[1]);
        }

        Assert.True(client.GetStatus().Forwards[0].RefusedConnections >= 5);
    }

    [Fact]
    public async Task Udp_DatagramsKeepTheirBoundaries()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
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
        IPEndPoint local = TunnelHarness.EndPointOf(client);
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Connect(local);

        int[] sizes = [3, 123, 4, 0, 1, 1400, 8000, 60000, 65000, 17];
        byte[] reply = new byte[65535];
        foreach (int size in sizes)
        {
            // One at a time: loopback UDP may drop under load, and the test asserts boundaries, not delivery guarantees.
            byte[] datagram = Patterns.Create(size, seed: size);
            await udp.SendAsync(datagram, SocketFlags.None, ct);
            int n = await udp.ReceiveAsync(reply, SocketFlags.None, ct);
            Assert.Equal(size, n);
            Assert.Equal(datagram, reply[..n]);
        }

        Assert.Equal(sizes.Sum(), client.GetStatus().Forwards[0].BytesToTarget);
        Assert.Equal(1, client.GetStatus().Forwards[0].TotalConnections);
    }

    [Fact]
    public async Task Udp_IdleFlowClosed_NewFlowOpensLater()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int echoPort = ((IPEndPoint)echo.LocalEndPoint!).Port;
        _ = Task.Run(async () =>
        {
            byte[] buffer = new byte[65535];
            while (!ct.IsCancellationRequested)
            {
                SocketReceiveFromResult r = await echo.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct);
                await echo.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint, ct);
            }
        }, ct);

        TunnelRelay relay = await harness.StartRelayAsync();
        string address = relay.BoundAddresses[0].ToString();
        ServerAgent server = await harness.StartServerAsync(address);
        ClientAgent client = await harness.StartClientAsync(address, [ForwardSpec.Udp(0, "office", "127.0.0.1", echoPort)], udpIdle: TimeSpan.FromMilliseconds(300));
        await server.WaitForSessionAsync(ct);
        await client.WaitForSessionAsync(ct);
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Connect(TunnelHarness.EndPointOf(client));
        byte[] reply = new byte[100];
        await udp.SendAsync("one"u8.ToArray(), SocketFlags.None, ct);
        Assert.Equal(3, await udp.ReceiveAsync(reply, SocketFlags.None, ct));
        await RefusalTests.WaitUntilAsync(() => client.GetStatus().Forwards[0].ActiveConnections == 0, ct);
        await udp.SendAsync("two!"u8.ToArray(), SocketFlags.None, ct);
        Assert.Equal(4, await udp.ReceiveAsync(reply, SocketFlags.None, ct));
        Assert.Equal(2, client.GetStatus().Forwards[0].TotalConnections);
    }

    [Fact]
    public async Task Remote_PortOnRelay_LeadsBackToAgentTarget()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var (relay, _, client) = await harness.StartChainAsync(ForwardSpec.Remote(0, "127.0.0.1", target.Port));
        await RefusalTests.WaitUntilAsync(() => client.GetStatus().Forwards[0].BoundEndPoint is not null, ct);
        IPEndPoint onRelay = IPEndPoint.Parse(client.GetStatus().Forwards[0].BoundEndPoint!);
        Assert.Equal(onRelay.ToString(), relay.GetStatus().Forwards.Single().BoundEndPoint);

        using Socket socket = await TunnelHarness.ConnectAsync(onRelay, ct);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        Task<(long Length, byte[] Sha256)> echo = Patterns.ReadAndHashAsync(stream, cancellationToken: ct);
        byte[] sent = await Patterns.WriteAsync(stream, 1024 * 1024, seed: 11, cancellationToken: ct);
        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(sent, (await echo).Sha256);
    }

    [Fact]
    public async Task Remote_NotAllowed_RefusedAndReported()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        TunnelRelay relay = await harness.StartRelayAsync(new RelayAcl { Clients = harness.DefaultRelayAcl().Clients });
        ClientAgent client = await harness.StartClientAsync(relay.BoundAddresses[0].ToString(), [ForwardSpec.Remote(0, "127.0.0.1", 22)]);
        await client.WaitForSessionAsync(ct);
        Assert.Equal($"relay: key {harness.ClientKey} may not open port 0 on 127.0.0.1", client.GetStatus().Forwards[0].LastError);
        Assert.Empty(relay.GetStatus().Forwards);
    }

    [Fact]
    public async Task DirectMode_ClientToServerAgent_NoRelay()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        ServerAgent server = await harness.StartServerAsync(null, listen: ["net:127.0.0.1:0~shs"]);
        ClientAgent client = await harness.StartClientAsync(server.BoundAddresses[0].ToString(), [ForwardSpec.Local(0, "office", "127.0.0.1", target.Port)]);
        await client.WaitForSessionAsync(ct);

        using Socket socket = await TunnelHarness.ConnectAsync(TunnelHarness.EndPointOf(client), ct);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        Task<(long Length, byte[] Sha256)> echo = Patterns.ReadAndHashAsync(stream, cancellationToken: ct);
        byte[] sent = await Patterns.WriteAsync(stream, 1024 * 1024, seed: 12, cancellationToken: ct);
        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(sent, (await echo).Sha256);

        // In direct mode the server agent checks its own ACL against the key it verified itself.
        var ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("office", "10.0.0.5", 22, ct));
        Assert.Equal($"server: target 10.0.0.5:22 not allowed for key {harness.ClientKey}", ex.Message);
        ex = await Assert.ThrowsAsync<TunnelException>(async () => await client.ConnectAsync("lab", "127.0.0.1", 22, ct));
        Assert.Equal("server: no server named 'lab' here (this server is office)", ex.Message);
    }

    private static async Task<byte> SocksConnectAsync(Stream stream, byte addressType, string host, int port, CancellationToken ct)
    {
        byte[] address = addressType == 3 ? [(byte)host.Length, .. Encoding.ASCII.GetBytes(host)] : IPAddress.Parse(host).GetAddressBytes();
        return await SocksRequestAsync(stream, 1, addressType, address, port, ct);
    }

    private static async Task<byte> SocksRequestAsync(Stream stream, byte command, byte addressType, byte[] address, int port, CancellationToken ct)
    {
        await stream.WriteAsync(new byte[] { 5, 1, 0 }, ct);
        byte[] method = new byte[2];
        await stream.ReadExactlyAsync(method, ct);
        Assert.Equal(new byte[] { 5, 0 }, method);
        byte[] portBytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(portBytes, (ushort)port);
        await stream.WriteAsync((byte[])[5, command, 0, addressType, .. address, .. portBytes], ct);
        byte[] reply = new byte[10];
        await stream.ReadExactlyAsync(reply, ct);
        Assert.Equal(5, reply[0]);
        return reply[1];
    }
}
