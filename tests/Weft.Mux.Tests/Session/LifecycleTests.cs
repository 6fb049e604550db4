using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Session;

public class LifecycleTests
{
    [Fact]
    public async Task Ping_PeerAnswers_ReturnsRoundTrip()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            ValueTask<TimeSpan> ping = session.PingAsync(ct);
            var (request, _) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.Ping, ct);
            Assert.True(request.Has(YamuxFlags.Syn));
            await peer.SendAsync(YamuxFrameType.Ping, YamuxFlags.Ack, 0, request.Length);
            TimeSpan rtt = await ping;
            Assert.True(rtt > TimeSpan.Zero);
            Assert.Equal(rtt, session.RoundTripTime);
        }
    }

    [Fact]
    public async Task RemoteGoAway_NewStreamsRefusedExistingContinue()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream existing = await session.OpenStreamAsync(ct);
            await peer.SendAsync(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)YamuxGoAwayCode.Normal);
            await peer.SendDataAsync(existing.Id, "bye"u8.ToArray());
            byte[] buffer = new byte[3];
            await existing.ReadExactlyAsync(buffer, ct);

            var error = await Assert.ThrowsAsync<MuxException>(async () => await session.OpenStreamAsync(ct));
            Assert.Equal(MuxError.RemoteGoAway, error.Error);
            Assert.Equal(0u, error.GoAwayCode);
            await existing.WriteAsync("still"u8.ToArray(), ct);
            await peer.ExpectAsync(h => h.Type == YamuxFrameType.Data, ct);

            // GoAway then EOF: the session ended because the peer closed it, said so.
            await peer.DisposeAsync();
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.RemoteClosed, session.TerminationException?.Error);
        }
    }

    [Fact]
    public async Task LocalGoAway_SendsGoAwayAndResetsNewPeerStreams()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            MuxStream existing = await session.AcceptStreamAsync(ct);
            await session.GoAwayAsync(ct);
            await peer.ExpectAsync(h => h.Type == YamuxFrameType.GoAway && h.Length == 0, ct);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 3, 0);
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Rst) && h.StreamId == 3, ct);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await session.OpenStreamAsync(ct));
            Assert.Equal(MuxError.LocalGoAway, error.Error);

            await peer.SendDataAsync(1, [1, 2]);
            Assert.Equal(2, await existing.ReadAsync(new byte[2], ct));
        }
    }

    [Fact]
    public async Task StreamIds_Exhausted_SendsGoAwayAndRefusesToOpen()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            session.SetNextStreamIdForTesting(uint.MaxValue - 2);
            MuxStream last = await session.OpenStreamAsync(ct);
            Assert.Equal(uint.MaxValue - 2, last.Id);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await session.OpenStreamAsync(ct));
            Assert.Equal(MuxError.LocalGoAway, error.Error);
            await peer.ExpectAsync(h => h.Type == YamuxFrameType.GoAway && h.Length == (uint)YamuxGoAwayCode.Normal, ct);
        }
    }

    [Fact]
    public async Task KeepAlive_PeerSilent_EndsSessionWithKeepAliveTimeout()
    {
        CancellationToken ct = TestToken.Create();
        var time = new ManualTimeProvider();
        var options = new MuxOptions { TimeProvider = time, KeepAliveInterval = TimeSpan.FromSeconds(20), KeepAliveTimeout = TimeSpan.FromSeconds(10) };
        var (session, peer) = await RawPeer.StartAsync(isClient: true, options);
        await using (session)
        await using (peer)
        {
            // The first ping goes out at once; answer it, then stay silent.
            var (first, _) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.Ping, ct);
            await peer.SendAsync(YamuxFrameType.Ping, YamuxFlags.Ack, 0, first.Length);
            await WaitUntilAsync(() => session.RoundTripTime != options.InitialRttEstimate, ct);

            // The next ping is due after the interval (the loop may not have armed its timer yet: step until it has).
            Task second = peer.ExpectAsync(h => h.Type == YamuxFrameType.Ping && h.Length != first.Length, ct);
            await AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => second.IsCompleted, ct, maxSteps: 12);
            await second;
            Assert.Null(session.TerminationException);

            await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => session.TerminationException is not null, ct);
            Assert.Equal(MuxError.KeepAliveTimeout, session.TerminationException!.Error);
        }
    }

    [Fact]
    public async Task CloseTimeout_PeerNeverSendsFin_StreamIsResetAndForgotten()
    {
        CancellationToken ct = TestToken.Create();
        var time = new ManualTimeProvider();
        var options = new MuxOptions { TimeProvider = time, StreamCloseTimeout = TimeSpan.FromSeconds(5) };
        var (session, peer) = await RawPeer.StartAsync(isClient: true, options);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            await stream.DisposeAsync();
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Fin), ct);
            Assert.Equal(1, session.StreamCount);
            time.Advance(TimeSpan.FromSeconds(6));
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Rst) && h.StreamId == stream.Id, ct);
            Assert.Equal(0, session.StreamCount);
        }
    }

    [Fact]
    public async Task Dispose_SendsGoAwayNormalAndFailsOpenStreams()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            await stream.WriteAsync("queued before close"u8.ToArray(), ct);
            await session.DisposeAsync();
            List<YamuxHeader> frames = await peer.ReadUntilClosedAsync(ct);
            Assert.Contains(frames, h => h.Type == YamuxFrameType.Data && h.Length == 19);
            Assert.Equal(new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, 0), frames[^1]);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await stream.ReadAsync(new byte[1], ct));
            Assert.Equal(MuxError.SessionClosed, error.Error);
            await Assert.ThrowsAsync<MuxException>(async () => await session.AcceptStreamAsync(ct));
        }
    }

    [Fact]
    public async Task Transport_ThrowsUnexpectedExceptionType_SessionEndsAndCompletes()
    {
        CancellationToken ct = TestToken.Create();
        var session = MuxSession.CreateClient(new ThrowingStream(), new MuxOptions { KeepAliveInterval = Timeout.InfiniteTimeSpan });
        await session.Completion.WaitAsync(ct);
        Assert.Equal(MuxError.ConnectionLost, session.TerminationException?.Error);
        Assert.IsType<InvalidOperationException>(session.TerminationException!.InnerException);
        await session.DisposeAsync().AsTask().WaitAsync(ct);
        await Assert.ThrowsAsync<MuxException>(async () => await session.OpenStreamAsync(ct));
    }

    /// <summary>A transport whose reads fail with an exception type no I/O code expects.</summary>
    private sealed class ThrowingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("pipe in a bad state");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromException<int>(new InvalidOperationException("pipe in a bad state"));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(5, ct);
        }
    }

    internal static async Task AdvanceUntilAsync(ManualTimeProvider time, TimeSpan step, Func<bool> done, CancellationToken ct, int maxSteps = 1000)
    {
        for (int i = 0; i < maxSteps && !done(); i++)
        {
            time.Advance(step);
            await Task.Delay(10, ct);
        }
    }
}
