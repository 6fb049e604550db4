using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Session;

public class OpenAcceptTests
{
    [Theory]
    [InlineData(true, 1u)]
    [InlineData(false, 2u)]
    public async Task OpenStream_Role_SendsWindowUpdateSynWithRoleParity(bool isClient, uint firstId)
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient);
        await using (session)
        await using (peer)
        {
            MuxStream first = await session.OpenStreamAsync(ct);
            MuxStream second = await session.OpenStreamAsync(ct);
            Assert.Equal(firstId, first.Id);
            Assert.Equal(firstId + 2, second.Id);

            var (h1, _) = await peer.ExpectAsync(_ => true, ct);
            Assert.Equal(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, firstId, 0), h1);
            var (h2, _) = await peer.ExpectAsync(_ => true, ct);
            Assert.Equal(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, firstId + 2, 0), h2);
        }
    }

    [Fact]
    public async Task OpenStream_DataRightAfterSyn_ArrivesWithoutWaitingForAck()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            await stream.WriteAsync("hello"u8.ToArray(), ct);
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Syn), ct);
            var (data, payload) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.Data, ct);
            Assert.Equal(1u, data.StreamId);
            Assert.Equal("hello"u8.ToArray(), payload);
        }
    }

    [Fact]
    public async Task AcceptStream_PeerSynWithData_DeliversDataAndAcks()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(1, "first bytes"u8.ToArray(), YamuxFlags.Syn);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            Assert.Equal(1u, stream.Id);
            Assert.False(stream.IsLocallyInitiated);
            byte[] buffer = new byte[11];
            await stream.ReadExactlyAsync(buffer, ct);
            Assert.Equal("first bytes"u8.ToArray(), buffer);
            var (ack, _) = await peer.ExpectAsync(_ => true, ct);
            Assert.Equal(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Ack, 1, 0), ack);
        }
    }

    [Fact]
    public async Task RemoteFin_AfterData_ReadsDataThenEofAndWritesStillWork()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(1, "abc"u8.ToArray(), YamuxFlags.Syn);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Fin, 1, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            byte[] buffer = new byte[10];
            Assert.Equal(3, await stream.ReadAsync(buffer, ct));
            Assert.Equal(0, await stream.ReadAsync(buffer, ct));
            await stream.ReadsClosed.WaitAsync(ct);

            await stream.WriteAsync("reply"u8.ToArray(), ct);
            stream.CompleteWrites();
            await stream.WritesClosed.WaitAsync(ct);
            await peer.ExpectAsync(h => h.Type == YamuxFrameType.Data && h.StreamId == 1, ct);
            var (fin, _) = await peer.ExpectAsync(h => h.Has(YamuxFlags.Fin), ct);
            Assert.Equal(1u, fin.StreamId);
            Assert.Equal(0, session.StreamCount);
        }
    }

    [Fact]
    public async Task RemoteReset_PendingRead_ThrowsStreamResetAndOtherStreamsContinue()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 3, 0);
            MuxStream doomed = await session.AcceptStreamAsync(ct);
            MuxStream healthy = await session.AcceptStreamAsync(ct);
            ValueTask<int> pending = doomed.ReadAsync(new byte[10], ct);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, 1, 0);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await pending);
            Assert.Equal(MuxError.StreamReset, error.Error);
            await Assert.ThrowsAsync<MuxException>(() => doomed.ReadsClosed.WaitAsync(ct));

            await peer.SendDataAsync(3, "still here"u8.ToArray());
            byte[] buffer = new byte[10];
            await healthy.ReadExactlyAsync(buffer, ct);
            Assert.Equal("still here"u8.ToArray(), buffer);
        }
    }

    [Fact]
    public async Task RemoteReset_BeforeAck_ThrowsStreamRefused()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Syn), ct);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, stream.Id, 0);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await stream.ReadAsync(new byte[1], ct));
            Assert.Equal(MuxError.StreamRefused, error.Error);
        }
    }

    [Fact]
    public async Task AcceptBacklog_Full_ResetsNewStreams()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false, new MuxOptions { AcceptBacklog = 2 });
        await using (session)
        await using (peer)
        {
            for (uint id = 1; id <= 5; id += 2)
            {
                await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, id, 0);
            }

            var (rst, _) = await peer.ExpectAsync(h => h.Has(YamuxFlags.Rst), ct);
            Assert.Equal(5u, rst.StreamId);
            Assert.Equal(1u, (await session.AcceptStreamAsync(ct)).Id);
            Assert.Equal(3u, (await session.AcceptStreamAsync(ct)).Id);

            // Room again once accepted.
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 7, 0);
            Assert.Equal(7u, (await session.AcceptStreamAsync(ct)).Id);
        }
    }

    [Fact]
    public async Task InboundStreams_OverLimit_AreReset()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false, new MuxOptions { MaxInboundStreams = 2 });
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 3, 0);
            await session.AcceptStreamAsync(ct);
            await session.AcceptStreamAsync(ct);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 5, 0);
            var (rst, _) = await peer.ExpectAsync(h => h.Has(YamuxFlags.Rst), ct);
            Assert.Equal(5u, rst.StreamId);
        }
    }

    [Fact]
    public async Task Dispose_WithUnreadData_SendsRst()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(1, new byte[100], YamuxFlags.Syn);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            await Task.Delay(50, ct);
            await stream.DisposeAsync();
            var (rst, _) = await peer.ExpectAsync(h => h.Has(YamuxFlags.Rst) || h.Has(YamuxFlags.Fin), ct);
            Assert.True(rst.Has(YamuxFlags.Rst), $"expected RST, got {rst}");
            Assert.Equal(0, session.StreamCount);
        }
    }

    [Fact]
    public async Task Dispose_AllRead_SendsFinAndDataAfterwardsGetsRst()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            await stream.DisposeAsync();
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Fin) && h.StreamId == 1, ct);
            Assert.Equal(1, session.StreamCount);

            await peer.SendDataAsync(1, new byte[10]);
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Rst) && h.StreamId == 1, ct);
            Assert.Equal(0, session.StreamCount);
        }
    }

    [Fact]
    public async Task AbortBoth_SendsRstAndFailsPendingOperations()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            ValueTask<int> pending = stream.ReadAsync(new byte[4], ct);
            stream.Abort(MuxAbortDirection.Both);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await pending);
            Assert.Equal(MuxError.StreamAborted, error.Error);
            await Assert.ThrowsAsync<MuxException>(async () => await stream.WriteAsync(new byte[1], ct));
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Rst) && h.StreamId == stream.Id, ct);
        }
    }

    [Fact]
    public async Task AbortRead_IncomingDataIsCreditedBackAndWritesContinue()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            stream.Abort(MuxAbortDirection.Read);
            await Assert.ThrowsAsync<MuxException>(async () => await stream.ReadAsync(new byte[1], ct));

            // A whole window of data is thrown away, and the peer gets the credit back so it never stalls.
            await peer.SendDataAsync(1, new byte[YamuxConstants.InitialStreamWindow]);
            var (update, _) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.WindowUpdate && h.Length > 0, ct);
            Assert.True(update.Length >= YamuxConstants.InitialStreamWindow / 2);

            await stream.WriteAsync("out"u8.ToArray(), ct);
            await peer.ExpectAsync(h => h.Type == YamuxFrameType.Data && h.StreamId == 1, ct);
        }
    }

    [Fact]
    public async Task ConcurrentReads_SecondThrowsInvalidOperation()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            ValueTask<int> first = stream.ReadAsync(new byte[1], ct);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await stream.ReadAsync(new byte[1], ct));
            await peer.SendDataAsync(stream.Id, [42]);
            Assert.Equal(1, await first);
        }
    }

    [Fact]
    public async Task ReadTimeout_NoData_ThrowsTimeoutAndStreamStaysUsable()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            stream.ReadTimeout = 100;
            var error = await Assert.ThrowsAsync<MuxException>(async () => await stream.ReadAsync(new byte[1], ct));
            Assert.Equal(MuxError.Timeout, error.Error);
            Assert.Throws<MuxException>(() => stream.Read(new byte[1], 0, 1));

            await peer.SendDataAsync(stream.Id, [7]);
            byte[] one = new byte[1];
            Assert.Equal(1, await stream.ReadAsync(one, ct));
            Assert.Equal(7, one[0]);
        }
    }

    [Fact]
    public async Task WriteTimeout_NoWindow_ThrowsTimeoutAndStreamStaysUsable()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            await stream.WriteAsync(new byte[YamuxConstants.InitialStreamWindow], ct);
            stream.WriteTimeout = 100;
            var error = await Assert.ThrowsAsync<MuxException>(async () => await stream.WriteAsync(new byte[10], ct));
            Assert.Equal(MuxError.Timeout, error.Error);

            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.None, stream.Id, 1000);
            await stream.WriteAsync(new byte[10], ct);
        }
    }
}
