using System.Net.Sockets;
using Weft.Testing;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Status;
using Weft.Tunnel.Tests.Support;

namespace Weft.Tunnel.Tests;

public sealed class LocalForwardTests
{
    [Fact]
    public async Task LocalForward_ThroughRelay_BytesArriveExactly()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var (relay, server, client) = await harness.StartChainAsync(ForwardSpec.Local(0, "office", "127.0.0.1", target.Port));

        using Socket socket = await TunnelHarness.ConnectAsync(TunnelHarness.EndPointOf(client), ct);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        const int Size = 8 * 1024 * 1024;
        Task<(long Length, byte[] Sha256)> echo = Patterns.ReadAndHashAsync(stream, cancellationToken: ct);
        byte[] sent = await Patterns.WriteAsync(stream, Size, seed: 7, cancellationToken: ct);
        socket.Shutdown(SocketShutdown.Send);
        var (length, hash) = await echo;

        Assert.Equal(Size, length);
        Assert.Equal(sent, hash);
        TunnelStatus status = client.GetStatus();
        Assert.Equal(Size, status.Forwards[0].BytesToTarget);
        Assert.Equal(Size, status.Forwards[0].BytesFromTarget);
        Assert.Equal(harness.RelayKey, status.Sessions[0].PeerKey);
        Assert.Equal(TunnelSessionState.Connected, status.Sessions[0].State);
        TunnelStatus relayStatus = relay.GetStatus();
        Assert.Contains(relayStatus.Sessions, s => s.PeerKey == harness.ServerKey && s.Names.Contains("office"));
        Assert.Contains(relayStatus.Sessions, s => s.PeerKey == harness.ClientKey);
        Assert.Equal(1, server.GetStatus().TotalStreams);
    }

    [Fact]
    public async Task LocalForward_HalfClose_EachDirectionEndsIndependently()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();

        // The target reads everything until the client's FIN, THEN answers with its hash and a trailer and closes:
        // only possible if the FIN crossed all three hops while the other direction stayed open.
        await using var target = new TargetServer(async (s, token) =>
        {
            using var ns = new NetworkStream(s, ownsSocket: false);
            var (length, hash) = await Patterns.ReadAndHashAsync(ns, cancellationToken: token);
            await ns.WriteAsync(hash, token);
            await ns.WriteAsync(BitConverter.GetBytes(length), token);
            await Patterns.WriteAsync(ns, 3 * 1024 * 1024, seed: 9, cancellationToken: token);
            s.Shutdown(SocketShutdown.Send);
        });
        var (_, _, client) = await harness.StartChainAsync(ForwardSpec.Local(0, "office", "127.0.0.1", target.Port));

        using Socket socket = await TunnelHarness.ConnectAsync(TunnelHarness.EndPointOf(client), ct);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        byte[] sent = await Patterns.WriteAsync(stream, 2 * 1024 * 1024, seed: 5, cancellationToken: ct);
        socket.Shutdown(SocketShutdown.Send);

        byte[] head = new byte[40];
        await stream.ReadExactlyAsync(head, ct);
        Assert.Equal(sent, head[..32]);
        Assert.Equal(2 * 1024 * 1024, BitConverter.ToInt64(head, 32));
        var (tailLength, tailHash) = await Patterns.ReadAndHashAsync(stream, cancellationToken: ct);
        Assert.Equal(3 * 1024 * 1024, tailLength);
        Assert.Equal(Patterns.Sha256OfPattern(3 * 1024 * 1024, seed: 9), tailHash);
    }

    [Fact]
    public async Task ConnectAsync_FromCode_StreamReachesTarget()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var (_, _, client) = await harness.StartChainAsync();

        await using Stream stream = await client.ConnectAsync("office", "127.0.0.1", target.Port, ct);
        byte[] message = "hello through three hops"u8.ToArray();
        await stream.WriteAsync(message, ct);
        byte[] back = new byte[message.Length];
        await stream.ReadExactlyAsync(back, ct);
        Assert.Equal(message, back);
    }

    [Fact]
    public async Task KillOneConnection_MidTransfer_OthersUnharmed()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var (_, _, client) = await harness.StartChainAsync(ForwardSpec.Local(0, "office", "127.0.0.1", target.Port));
        var endPoint = TunnelHarness.EndPointOf(client);

        const int Size = 4 * 1024 * 1024;
        var victim = await TunnelHarness.ConnectAsync(endPoint, ct);
        var victimStream = new NetworkStream(victim, ownsSocket: false);
        await victimStream.WriteAsync(Patterns.Create(64 * 1024), ct);

        async Task<bool> TransferAsync(int seed)
        {
            using Socket s = await TunnelHarness.ConnectAsync(endPoint, ct);
            using var ns = new NetworkStream(s, ownsSocket: false);
            Task<(long Length, byte[] Sha256)> echo = Patterns.ReadAndHashAsync(ns, cancellationToken: ct);
            byte[] sent = await Patterns.WriteAsync(ns, Size, seed, chunkSize: 16 * 1024, cancellationToken: ct);
            s.Shutdown(SocketShutdown.Send);
            var (length, hash) = await echo;
            return length == Size && hash.AsSpan().SequenceEqual(sent);
        }

        Task<bool>[] others = [.. Enumerable.Range(1, 4).Select(TransferAsync)];
        await Task.Delay(50, ct);
        TcpPair.Reset(victim);
        victimStream.Dispose();
        bool[] results = await Task.WhenAll(others);
        Assert.All(results, Assert.True);
    }
}
