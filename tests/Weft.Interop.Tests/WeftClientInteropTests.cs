using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Weft.Mux;
using Weft.Testing;

namespace Weft.Interop.Tests;

/// <summary>
/// Weft in the client role, in process, against each real peer's <c>server</c> command
/// (interop/README.md): Weft opens the streams, sends a pattern, half-closes, reads the echo to the
/// peer's FIN and compares SHA-256; the peer reports every stream it finished.
/// </summary>
// One collection for every real-peer test: they run one at a time, so big transfers do not share the CPU.
[Collection("real peers")]
public sealed class WeftClientInteropTests
{
    [Theory(Timeout = 60_000)]
    [InlineData(PeerPrograms.GoYamuxName)]
    [InlineData(PeerPrograms.YamuxJsName)]
    [InlineData(PeerPrograms.Libp2pYamuxName)]
    public async Task PeerServer_Ping_ReturnsRoundTripTime(string peer)
    {
        CancellationToken ct = TestTimeout.Token(45);
        await using PeerProcess server = await PeerProcess.StartServerAsync(PeerPrograms.Get(peer), cancellationToken: ct);
        await using MuxSession session = await ConnectAsync(server.Endpoint, ct);

        for (int i = 0; i < 3; i++)
        {
            TimeSpan rtt = await session.PingAsync(ct);
            Assert.True(rtt > TimeSpan.Zero && rtt < TimeSpan.FromSeconds(10), $"ping {i} to {peer}: {rtt}");
        }

        Assert.Null(session.TerminationException);
    }

    [Theory(Timeout = 120_000)]
    [InlineData(PeerPrograms.GoYamuxName)]
    [InlineData(PeerPrograms.YamuxJsName)]
    [InlineData(PeerPrograms.Libp2pYamuxName)]
    public Task PeerServer_ManyConcurrentStreams_EchoMatchesAndEveryStreamEndsWithFin(string peer) =>
        RunWeftClientAgainstPeerAsync(peer, streams: 64, bytes: 1 << 20, timeoutSeconds: 90);

    [Theory(Timeout = 150_000)]
    [InlineData(PeerPrograms.GoYamuxName)]
    [InlineData(PeerPrograms.YamuxJsName)]
    [InlineData(PeerPrograms.Libp2pYamuxName)]
    public Task PeerServer_OneBigStream_EchoMatchesAndStreamEndsWithFin(string peer) =>
        RunWeftClientAgainstPeerAsync(peer, streams: 1, bytes: WeftServerInteropTests.BigTransferBytes(peer), timeoutSeconds: 130);

    private static async Task RunWeftClientAgainstPeerAsync(string peer, int streams, long bytes, double timeoutSeconds)
    {
        CancellationToken ct = TestTimeout.Token(timeoutSeconds);
        await using PeerProcess server = await PeerProcess.StartServerAsync(PeerPrograms.Get(peer), cancellationToken: ct);
        await using MuxSession session = await ConnectAsync(server.Endpoint, ct);

        TimeSpan rtt = await session.PingAsync(ct);
        Assert.True(rtt > TimeSpan.Zero, $"ping to {peer}: {rtt}");

        EchoResult[] results = await Task.WhenAll(Enumerable.Range(0, streams).Select(k => EchoAsync(session, k, bytes, ct)));

        Assert.All(results, r =>
        {
            Assert.True(r.Ok, r.Describe());
            Assert.Equal(1u, r.StreamId % 2); // Weft is the client: odd ids (yamux spec, "Stream ID")
        });

        // The peer saw every stream end with our FIN and echoed all of it before its own FIN.
        foreach (EchoResult r in results)
        {
            JsonElement ev = await server.WaitForStreamEventAsync(r.StreamId, TestTimeout.Scaled(TimeSpan.FromSeconds(20)), ct);
            Assert.True(ev.GetProperty("result").ValueEquals("eof"), $"{peer} stream {r.StreamId}: {ev}");
            Assert.Equal(bytes, ev.GetProperty("bytes").GetInt64());
        }

        Assert.Null(session.TerminationException);
    }

    /// <summary>Connects a Weft client session over loopback TCP.</summary>
    internal static async Task<MuxSession> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return MuxSession.CreateClient(new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>
    /// Opens a stream and, concurrently, writes <paramref name="bytes"/> pattern bytes (seed
    /// <paramref name="seed"/>) then half-closes, while reading the echo until end of stream.
    /// </summary>
    internal static async Task<EchoResult> EchoAsync(MuxSession session, int seed, long bytes, CancellationToken cancellationToken)
    {
        await using MuxStream stream = await session.OpenStreamAsync(cancellationToken);
        Task<(long Length, byte[] Sha256)> reader = Task.Run(() => Patterns.ReadAndHashAsync(stream, cancellationToken: cancellationToken), cancellationToken);
        Task<byte[]> writer = Task.Run(async () =>
        {
            byte[] hash = await Patterns.WriteAsync(stream, bytes, seed, cancellationToken: cancellationToken);
            stream.CompleteWrites(); // half-close: the peer reads EOF, we keep reading its echo
            return hash;
        }, cancellationToken);
        await Task.WhenAll(reader, writer); // both observed, whichever fails
        byte[] sent = await writer;
        (long received, byte[] echoed) = await reader;
        return new EchoResult(stream.Id, bytes, received, sent.AsSpan().SequenceEqual(echoed), stream.ReadsClosed.IsCompletedSuccessfully);
    }

    /// <summary>The outcome of <see cref="EchoAsync"/>.</summary>
    internal sealed record EchoResult(uint StreamId, long Sent, long Received, bool HashesMatch, bool CleanEof)
    {
        public bool Ok => Received == Sent && HashesMatch && CleanEof;

        public string Describe() =>
            $"stream {StreamId}: sent {Sent} B, echo {Received} B, SHA-256 {(HashesMatch ? "matches" : "differs")}, FIN {(CleanEof ? "seen" : "not seen")}";
    }
}
