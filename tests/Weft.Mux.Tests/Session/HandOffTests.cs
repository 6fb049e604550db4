using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;
using Weft.Testing;

namespace Weft.Mux.Tests.Session;

/// <summary>
/// The read loop runs a woken reader's (or writer's) continuation on its own thread after queuing itself
/// elsewhere (MuxSession.HandOff.cs). These tests pin the two halves of that bargain: the hand-off is used,
/// and application code that blocks in such a continuation never stalls the session's other streams, nor
/// its shutdown.
/// </summary>
public class HandOffTests
{
    public static TheoryData<string> Transports => ["tcp", "memory"];

    [Fact]
    public async Task PingPong_WokenReaders_RunOnTheReadLoopsThread()
    {
        CancellationToken ct = TestToken.Create();
        await using Pair pair = await Pair.CreateAsync("tcp", ct);
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
        // read loop is waking readers through the thread pool again (one thread hop per message).
        Assert.True(pair.Server.HandOffCount > 0, $"server hand-offs: {pair.Server.HandOffCount}");
        Assert.True(pair.Client.HandOffCount > 0, $"client hand-offs: {pair.Client.HandOffCount}");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ReadContinuation_BlocksSynchronously_OtherStreamsStillFlow(string transport)
    {
        CancellationToken ct = TestToken.Create();
        await using Pair pair = await Pair.CreateAsync(transport, ct);
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
        }
        finally
        {
            release.Set();
        }

        await readerA.WaitAsync(ct);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task WriteContinuation_BlocksSynchronously_AfterWindowUpdate_OtherStreamsStillFlow(string transport)
    {
        CancellationToken ct = TestToken.Create();
        await using Pair pair = await Pair.CreateAsync(transport, ct);
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
        }
        finally
        {
            release.Set();
        }

        await writerA.WaitAsync(ct);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ReadContinuation_DisposesItsSessionSynchronously_DoesNotDeadlock(string transport)
    {
        // Generous: the shutdown needs a few thread-pool threads while this test holds one, and the whole suite
        // runs in parallel with blocking tests of its own.
        CancellationToken ct = TestToken.Create(120);
        await using Pair pair = await Pair.CreateAsync(transport, ct);
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

        public static async Task<Pair> CreateAsync(string transport, CancellationToken ct)
        {
            if (transport == "tcp")
            {
                StreamPair tcp = await TcpPair.CreateAsync(ct);
                return new Pair(MuxSession.CreateClient(tcp.First), MuxSession.CreateServer(tcp.Second), tcp);
            }

            var (first, second) = InMemoryDuplex.CreatePair();
            return new Pair(MuxSession.CreateClient(first), MuxSession.CreateServer(second), null);
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
}
