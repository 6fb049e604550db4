using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;
using Weft.Testing;

namespace Weft.Mux.Tests.Session;

/// <summary>
/// The read loop runs a woken reader's (or writer's) continuation on its own thread and then goes on inline;
/// a watchdog moves the loop to the thread pool when that continuation does not return
/// (MuxSession.HandOff.cs, Internal/LoopHandOff.cs). These tests pin both halves of that bargain, in both
/// dialects: the hand-off and the inline resume are used, and application code that blocks in such a
/// continuation never stalls the session's other streams, nor its shutdown.
/// </summary>
public class HandOffTests
{
    public static TheoryData<string> Dialects => ["yamux", "gomux"];

    public static TheoryData<string, string> TransportsAndDialects => new()
    {
        { "tcp", "yamux" },
        { "memory", "yamux" },
        { "tcp", "gomux" },
        { "memory", "gomux" },
    };

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task PingPong_WokenReaders_RunOnTheReadLoopsThread_AndTheLoopGoesOnInline(string dialect)
    {
        CancellationToken ct = TestToken.Create();
        await using Pair pair = await Pair.CreateAsync("tcp", ct, dialect);
        MuxStream client = await pair.Client.OpenStreamAsync(ct);
        await client.WriteAsync(new byte[1], ct);
        MuxStream server = await pair.Server.AcceptStreamAsync(ct);

        Task echo = Task.Run(async () =>
        {
            byte[] buffer = new byte[64];
            int n;
            while ((n = await server.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await server.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }

            server.CompleteWrites();
        }, ct);

        await Task.Run(async () =>
        {
            byte[] echoed = new byte[1];
            await client.ReadExactlyAsync(echoed, ct).ConfigureAwait(false);
            byte[] message = new byte[64];
            for (int i = 0; i < 200; i++)
            {
                message[0] = (byte)i;
                await client.WriteAsync(message, ct).ConfigureAwait(false);
                byte[] reply = new byte[64];
                await client.ReadExactlyAsync(reply, ct).ConfigureAwait(false);
                Assert.Equal(message, reply);
            }

            client.CompleteWrites();
        }, ct);
        await echo.WaitAsync(ct);

        // Nearly every one of the 400 messages finds its reader waiting; if none were handed off, the
        // read loop is waking readers through the thread pool again (one thread hop per message). And the
        // echo's continuation returns at once (it writes and waits again), so the loop must have gone on from
        // the thread that ran it, not asked the thread pool for another.
        Assert.True(pair.Server.HandOffCount > 0, $"server hand-offs: {pair.Server.HandOffCount}");
        Assert.True(pair.Client.HandOffCount > 0, $"client hand-offs: {pair.Client.HandOffCount}");
        Assert.True(pair.Server.InlineResumeCount > 0, $"server inline resumes: {pair.Server.InlineResumeCount}, rescues: {pair.Server.RescueCount}");
        Assert.True(pair.Client.InlineResumeCount > 0, $"client inline resumes: {pair.Client.InlineResumeCount}, rescues: {pair.Client.RescueCount}");
    }

    [Theory]
    [MemberData(nameof(TransportsAndDialects))]
    public async Task ReadContinuation_BlocksSynchronously_OtherStreamsStillFlow(string transport, string dialect)
    {
        CancellationToken ct = TestToken.Create();
        await using Pair pair = await Pair.CreateAsync(transport, ct, dialect);
        var (clientA, serverA) = await pair.OpenAsync(ct);
        var (clientB, serverB) = await pair.OpenAsync(ct);
        using var release = new ManualResetEventSlim();
        using var blocked = new ManualResetEventSlim();

        // A's reader: once its data arrives, its continuation blocks the thread it runs on, with no await.
        Task readerA = Task.Run(async () =>
        {
            byte[] buffer = new byte[16];
            int n = await serverA.ReadAsync(buffer, ct).ConfigureAwait(false);
            Assert.Equal(3, n);
            blocked.Set();
            release.Wait(ct);
        }, ct);
        try
        {
            await WaitUntilAsync(() => serverA.IsReadWaiting, ct);
            await clientA.WriteAsync("aaa"u8.ToArray(), ct);
            await WaitUntilAsync(() => blocked.IsSet, ct);

            // The session must still carry B's bytes, both ways, while A's continuation holds its thread.
            await clientB.WriteAsync("bbbb"u8.ToArray(), ct);
            byte[] got = new byte[4];
            await serverB.ReadExactlyAsync(got, ct);
            Assert.Equal("bbbb"u8.ToArray(), got);
            await serverB.WriteAsync("cc"u8.ToArray(), ct);
            byte[] back = new byte[2];
            await clientB.ReadExactlyAsync(back, ct);
            Assert.Equal("cc"u8.ToArray(), back);

            // B's bytes could only reach serverB because the watchdog took the loop off the blocked thread.
            Assert.True(pair.Server.RescueCount >= 1, $"server rescues: {pair.Server.RescueCount}");
        }
        finally
        {
            release.Set();
        }

        await readerA.WaitAsync(ct);
    }

    [Theory]
    [MemberData(nameof(TransportsAndDialects))]
    public async Task WriteContinuation_BlocksSynchronously_AfterWindowUpdate_OtherStreamsStillFlow(string transport, string dialect)
    {
        CancellationToken ct = TestToken.Create();
        await using Pair pair = await Pair.CreateAsync(transport, ct, dialect);
        var (clientA, serverA) = await pair.OpenAsync(ct);
        var (clientB, serverB) = await pair.OpenAsync(ct);
        using var release = new ManualResetEventSlim();
        using var blocked = new ManualResetEventSlim();
        int window = YamuxConstants.InitialStreamWindow;

        // A's writer fills the window and waits for credit; the WindowUpdate wakes it, and then it blocks.
        Task writerA = Task.Run(async () =>
        {
            await clientA.WriteAsync(new byte[window + 100], ct).ConfigureAwait(false);
            blocked.Set();
            release.Wait(ct);
        }, ct);
        try
        {
            await WaitUntilAsync(() => clientA.IsWriteWaitingForWindow, ct);
            await serverA.ReadExactlyAsync(new byte[window + 100], ct);
            await WaitUntilAsync(() => blocked.IsSet, ct);

            await serverB.WriteAsync("dddd"u8.ToArray(), ct);
            byte[] got = new byte[4];
            await clientB.ReadExactlyAsync(got, ct);
            Assert.Equal("dddd"u8.ToArray(), got);

            // No rescue count here: after a window update the writer may go on from its own transport write's
            // completion rather than from the hand-off, and then it blocks a thread-pool thread, not the loop.
        }
        finally
        {
            release.Set();
        }

        await writerA.WaitAsync(ct);
    }

    [Theory]
    [MemberData(nameof(TransportsAndDialects))]
    public async Task ReadContinuation_DisposesItsSessionSynchronously_DoesNotDeadlock(string transport, string dialect)
    {
        // Generous: the shutdown needs a few thread-pool threads while this test holds one, and the whole suite
        // runs in parallel with blocking tests of its own.
        CancellationToken ct = TestToken.Create(120);
        await using Pair pair = await Pair.CreateAsync(transport, ct, dialect);
        var (clientA, serverA) = await pair.OpenAsync(ct);
        bool disposed = false;
        Task readerA = Task.Run(async () =>
        {
            byte[] buffer = new byte[16];
            await serverA.ReadAsync(buffer, ct).ConfigureAwait(false);

            // Blocking on the session's end from the thread the read loop handed over: the loop must finish elsewhere.
            disposed = pair.Server.DisposeAsync().AsTask().Wait(TestTimeout.Scaled(TimeSpan.FromSeconds(90)), ct);
        }, ct);
        await WaitUntilAsync(() => serverA.IsReadWaiting, ct);
        await clientA.WriteAsync("x"u8.ToArray(), ct);
        await readerA.WaitAsync(ct);
        Assert.True(disposed, "the session's DisposeAsync did not finish when waited for inside a read continuation");
        await pair.Server.Completion.WaitAsync(ct);
        await pair.Client.Completion.WaitAsync(ct);
    }

    [Fact]
    public async Task BufferedBurst_ThousandsOfInlineHandOffs_StackDoesNotGrow()
    {
        // 5,000 messages already buffered, delivered one frame per transport read, each completing synchronously:
        // every message is a hand-off whose loop continuation reaches the next hand-off without ever going
        // pending. Nested, that is 5,000 loop frames on one stack; trampolined, the depth stays flat.
        const int Messages = 5000;
        CancellationToken ct = TestToken.Create(120);
        var transport = new OneFramePerReadTransport(BurstScript(Messages));
        await using MuxSession session = MuxSession.CreateServer(transport, new MuxOptions { KeepAliveInterval = Timeout.InfiniteTimeSpan });
        MuxStream stream = await session.AcceptStreamAsync(ct);
        await stream.ReadExactlyAsync(new byte[1], ct);
        _ = new System.Diagnostics.StackTrace().FrameCount;

        // Only feed a frame synchronously while the reader waits for it. Inline, it always does (its continuation
        // returned, so it waits again); after a rescue (a continuation preempted for over a tick on a loaded
        // machine) the loop would otherwise race ahead and buffer the rest without any hand-off.
        transport.Ready = () => stream.IsReadWaiting;

        int minDepth = int.MaxValue;
        int maxDepth = 0;
        Task reader = Task.Run(async () =>
        {
            byte[] message = new byte[8];
            for (int i = 0; i < Messages; i++)
            {
                await stream.ReadExactlyAsync(message, ct).ConfigureAwait(false);
                Assert.Equal(i, BitConverter.ToInt32(message));
                int depth = new System.Diagnostics.StackTrace().FrameCount;
                minDepth = Math.Min(minDepth, depth);
                maxDepth = Math.Max(maxDepth, depth);

                // Fail before a growing stack can overflow and take the test process with it.
                Assert.True(maxDepth - minDepth < 200, $"the stack grew from {minDepth} to {maxDepth} frames by message {i}");
            }
        }, ct);
        await WaitUntilAsync(() => stream.IsReadWaiting, ct);
        transport.Release();
        await reader.WaitAsync(ct);

        Assert.True(session.TrampolineCount > 0, $"trampolined: {session.TrampolineCount}, inline resumes: {session.InlineResumeCount}, rescues: {session.RescueCount}");
        Assert.True(maxDepth - minDepth < 100, $"stack depth in the reader's continuation ranged over {minDepth}..{maxDepth} frames");
    }

    /// <summary>A SYN with one byte on stream 1, then <paramref name="messages"/> Data frames of 8 bytes (the index, then zeros).</summary>
    private static byte[][] BurstScript(int messages)
    {
        byte[][] frames = new byte[messages + 1][];
        frames[0] = Frame(YamuxFlags.Syn, new byte[1]);
        for (int i = 0; i < messages; i++)
        {
            byte[] payload = new byte[8];
            BitConverter.TryWriteBytes(payload, i);
            frames[i + 1] = Frame(YamuxFlags.None, payload);
        }

        return frames;

        static byte[] Frame(YamuxFlags flags, byte[] payload)
        {
            byte[] frame = new byte[YamuxConstants.HeaderSize + payload.Length];
            YamuxCodec.WriteHeader(frame, new YamuxHeader(YamuxFrameType.Data, flags, 1, (uint)payload.Length));
            payload.CopyTo(frame, YamuxConstants.HeaderSize);
            return frame;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(5, ct);
        }
    }

    private sealed class Pair : IAsyncDisposable
    {
        private readonly StreamPair? _tcp;

        private Pair(MuxSession client, MuxSession server, StreamPair? tcp)
        {
            Client = client;
            Server = server;
            _tcp = tcp;
        }

        public MuxSession Client { get; }

        public MuxSession Server { get; }

        public static async Task<Pair> CreateAsync(string transport, CancellationToken ct, string dialect = "yamux")
        {
            MuxOptions Options() => new() { Dialect = dialect == "gomux" ? MuxDialect.Gomux("hand-off-psk") : MuxDialect.Yamux };
            if (transport == "tcp")
            {
                StreamPair tcp = await TcpPair.CreateAsync(ct);
                return new Pair(MuxSession.CreateClient(tcp.First, Options()), MuxSession.CreateServer(tcp.Second, Options()), tcp);
            }

            var (first, second) = InMemoryDuplex.CreatePair();
            return new Pair(MuxSession.CreateClient(first, Options()), MuxSession.CreateServer(second, Options()), null);
        }

        /// <summary>Opens a stream from the client and accepts it on the server (one byte crosses to open it, and is read).</summary>
        public async Task<(MuxStream Client, MuxStream Server)> OpenAsync(CancellationToken ct)
        {
            MuxStream client = await Client.OpenStreamAsync(ct);
            await client.WriteAsync(new byte[1], ct);
            MuxStream server = await Server.AcceptStreamAsync(ct);
            await server.ReadExactlyAsync(new byte[1], ct);
            return (client, server);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
            if (_tcp is not null)
            {
                await _tcp.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Delivers its first frame at once, the rest only after <see cref="Release"/>, then one frame per read and
    /// synchronously (as a socket with data already buffered does) whenever <see cref="Ready"/> says so, otherwise
    /// after polling for it; after the script, reads wait until disposal. Writes are discarded.
    /// </summary>
    private sealed class OneFramePerReadTransport(byte[][] frames) : Stream
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<int> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _next;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public Func<bool> Ready { get; set; } = static () => true;

        public void Release() => _released.TrySetResult();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_next == 0 || (_released.Task.IsCompleted && _next < frames.Length && Ready()))
            {
                byte[] frame = frames[_next++];
                frame.CopyTo(buffer);
                return new ValueTask<int>(frame.Length);
            }

            return WaitAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _closed.TrySetResult(0);
            base.Dispose(disposing);
        }

        private async ValueTask<int> WaitAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (_next < frames.Length)
            {
                await _released.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                while (!Ready())
                {
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }

                return await ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            return await _closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
