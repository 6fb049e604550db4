using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Weft.Mux;
using Weft.Testing;

namespace Weft.Interop.Tests;

/// <summary>
/// Weft in the server role, in process on a loopback listener, against each real peer's
/// <c>client</c> command (interop/README.md): the peer opens the streams, pings, sends its pattern,
/// half-closes and checks the SHA-256 of the echo; Weft echoes and checks that every stream ended with
/// the peer's FIN.
/// </summary>
// One collection for every real-peer test: they run one at a time, so big transfers do not share the CPU.
[Collection("real peers")]
public sealed class WeftServerInteropTests
{
    /// <summary>
    /// Size of the single-stream transfer per peer, in each direction. Go and libp2p: 256 MiB (a few
    /// seconds each). yamux-js: 128 MiB. Its writer retries on a fixed 100 ms timer whenever its send
    /// window is 0 (interop/README.md), which caps one stream at ~256 KiB per 100 ms (~21 Mb/s) against a
    /// fixed 256 KiB receive window (Go's); 256 MiB at that rate takes ~107 s, too close to the timeout.
    /// Against Weft's auto-tuned window (up to 16 MiB) it measured ~300 Mb/s in both roles (256 MiB in
    /// ~8 s), so 128 MiB takes ~4 s normally, and even if auto-tuning fell behind and every window ran dry
    /// it would still finish in ~51 s, inside the 120 s limit.
    /// </summary>
    internal static long BigTransferBytes(string peer) => peer == PeerPrograms.YamuxJsName ? 128L << 20 : 256L << 20;

    [Theory(Timeout = 120_000)]
    [InlineData(PeerPrograms.GoYamuxName)]
    [InlineData(PeerPrograms.YamuxJsName)]
    [InlineData(PeerPrograms.Libp2pYamuxName)]
    public Task PeerClient_ManyConcurrentStreams_EchoVerifiedAndEveryStreamEndsWithFin(string peer) =>
        RunPeerClientAgainstWeftAsync(peer, streams: 64, bytes: 1 << 20, TimeSpan.FromSeconds(90));

    [Theory(Timeout = 150_000)]
    [InlineData(PeerPrograms.GoYamuxName)]
    [InlineData(PeerPrograms.YamuxJsName)]
    [InlineData(PeerPrograms.Libp2pYamuxName)]
    public Task PeerClient_OneBigStream_EchoVerifiedAndStreamEndsWithFin(string peer) =>
        RunPeerClientAgainstWeftAsync(peer, streams: 1, bytes: BigTransferBytes(peer), TimeSpan.FromSeconds(120));

    /// <summary>
    /// Weft's receive window held at the spec's 256 KiB (no auto-tuning), so every peer keeps running its
    /// send window dry and must wait for Weft's window updates (for yamux-js: its 100 ms retry path).
    /// </summary>
    [Theory(Timeout = 90_000)]
    [InlineData(PeerPrograms.GoYamuxName)]
    [InlineData(PeerPrograms.YamuxJsName)]
    [InlineData(PeerPrograms.Libp2pYamuxName)]
    public Task PeerClient_WeftWindowFixedAt256KiB_EchoVerifiedAndEveryStreamEndsWithFin(string peer) =>
        RunPeerClientAgainstWeftAsync(peer, streams: 4, bytes: 4 << 20, TimeSpan.FromSeconds(60),
            new MuxOptions { WindowAutoTuning = false, MaxStreamWindowSize = 256 * 1024 });

    private static async Task RunPeerClientAgainstWeftAsync(string peer, int streams, long bytes, TimeSpan peerTimeout, MuxOptions? options = null)
    {
        CancellationToken ct = TestTimeout.Token(peerTimeout.TotalSeconds + 25);
        PeerProgram program = PeerPrograms.Get(peer);
        await using var server = EchoServer.Start(options);

        PeerResult result = await PeerProcess.RunClientAsync(program, server.EndpointText, streams, bytes, TestTimeout.Scaled(peerTimeout), ct);

        Assert.True(result.Ok, result.Describe("client against the Weft server") + "\nWeft side:\n" + server.Describe());
        Assert.True(result.Number("ping_us") > 0, $"{peer} reported no ping round trip: {result.Json}");
        Assert.Equal(streams, (int)result.Number("streams"));
        Assert.Equal(bytes, (long)result.Number("bytes"));

        IReadOnlyList<EchoOutcome> outcomes = await server.WaitForStreamsAsync(streams, ct);
        Assert.Equal(1, server.SessionCount);
        Assert.All(outcomes, o =>
        {
            Assert.True(o.Error is null, $"stream {o.StreamId}: {o.Error}");
            Assert.True(o.CleanEof, $"stream {o.StreamId} did not end with the peer's FIN (ReadsClosed not completed)");
            Assert.Equal(bytes, o.Bytes);
        });
        Assert.Equal(streams, outcomes.Select(o => o.StreamId).Distinct().Count());
        // The peer is the client: its streams have odd ids (yamux spec, "Stream ID").
        Assert.All(outcomes, o => Assert.Equal(1u, o.StreamId % 2));
    }

    /// <summary>What the Weft echo server saw on one stream.</summary>
    /// <param name="StreamId">The yamux stream id.</param>
    /// <param name="Bytes">Bytes received (and echoed).</param>
    /// <param name="CleanEof">A read returned 0 and <see cref="MuxStream.ReadsClosed"/> completed successfully (FIN seen).</param>
    /// <param name="Error">The failure, if the echo did not complete.</param>
    internal sealed record EchoOutcome(uint StreamId, long Bytes, bool CleanEof, string? Error);

    /// <summary>
    /// An in-process Weft echo server on 127.0.0.1: one <see cref="MuxSession"/> in the server role per
    /// accepted connection; every accepted stream is read to EOF while written back, then half-closed
    /// (like interop/weft-peer's server).
    /// </summary>
    internal sealed class EchoServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<EchoOutcome> _outcomes = new();
        private readonly ConcurrentBag<MuxSession> _sessions = [];
        private readonly ConcurrentBag<Task> _tasks = [];
        private readonly SemaphoreSlim _finished = new(0);
        private readonly Task _acceptLoop;

        private readonly MuxOptions? _options;

        private EchoServer(MuxOptions? options)
        {
            _options = options;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _acceptLoop = AcceptLoopAsync();
        }

        public string EndpointText => _listener.LocalEndpoint.ToString()!;

        public int SessionCount => _sessions.Count;

        public static EchoServer Start(MuxOptions? options = null) => new(options);

        /// <summary>Waits until <paramref name="count"/> streams have finished, and returns their outcomes.</summary>
        public async Task<IReadOnlyList<EchoOutcome>> WaitForStreamsAsync(int count, CancellationToken cancellationToken)
        {
            for (int i = 0; i < count; i++)
            {
                if (!await _finished.WaitAsync(TestTimeout.Scaled(TimeSpan.FromSeconds(20)), cancellationToken))
                {
                    throw new TimeoutException($"only {i} of {count} streams finished on the Weft side.\n{Describe()}");
                }
            }

            return [.. _outcomes];
        }

        public string Describe()
        {
            var lines = _outcomes.Take(10).Select(o => $"  stream {o.StreamId}: {o.Bytes} B, eof={o.CleanEof}, error={o.Error ?? "none"}");
            var sessions = _sessions.Select(s => $"  session: completed={s.Completion.IsCompleted}, termination={s.TerminationException?.Error.ToString() ?? "none"} {s.TerminationException?.Message}");
            return $"{_outcomes.Count} streams finished\n{string.Join('\n', lines)}\n{string.Join('\n', sessions)}";
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _acceptLoop;
            foreach (MuxSession session in _sessions)
            {
                await session.DisposeAsync();
            }

            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(10));
            _stop.Dispose();
            _finished.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            try
            {
                while (true)
                {
                    Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
                    socket.NoDelay = true;
                    MuxSession session = MuxSession.CreateServer(new NetworkStream(socket, ownsSocket: true), _options);
                    _sessions.Add(session);
                    _tasks.Add(ServeAsync(session));
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
                // listener stopped
            }
        }

        private async Task ServeAsync(MuxSession session)
        {
            while (true)
            {
                MuxStream stream;
                try
                {
                    stream = await session.AcceptStreamAsync();
                }
                catch (MuxException)
                {
                    return; // the session ended
                }

                _tasks.Add(EchoAsync(stream));
            }
        }

        private async Task EchoAsync(MuxStream stream)
        {
            long total = 0;
            bool cleanEof = false;
            string? error = null;
            var buffer = new byte[64 * 1024];
            try
            {
                await using (stream)
                {
                    int n;
                    while ((n = await stream.ReadAsync(buffer)) > 0)
                    {
                        total += n;
                        await stream.WriteAsync(buffer.AsMemory(0, n));
                    }

                    // A read returned 0: that must be the peer's FIN, a half-close (we can still write).
                    cleanEof = stream.ReadsClosed.IsCompletedSuccessfully;
                    stream.CompleteWrites();
                    await stream.WritesClosed;
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                error = $"{e.GetType().Name}: {e.Message}";
            }

            _outcomes.Enqueue(new EchoOutcome(stream.Id, total, cleanEof, error));
            _finished.Release();
        }
    }
}
