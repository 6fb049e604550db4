using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Session;

/// <summary>Every malformed input ends in the documented GoAway code and a clean close.</summary>
public class BadInputTests
{
    public static TheoryData<string, byte[]> MalformedHeaders => new()
    {
        { "bad version", [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0] },
        { "unknown type", [0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0] },
        { "type 255", [0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "data on stream 0", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "window update on stream 0", [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5] },
        { "ping on a stream", [0, 2, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0] },
        { "go away on a stream", [0, 3, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0] },
        { "syn with the session's own parity", [0, 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public async Task MalformedFrame_SendsGoAwayProtocolErrorAndCloses(string what, byte[] frame)
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendRawAsync(frame);
            List<YamuxHeader> frames = await peer.ReadUntilClosedAsync(ct);
            Assert.Contains(new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)YamuxGoAwayCode.ProtocolError), frames);
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ProtocolError, session.TerminationException?.Error);
            Assert.False(string.IsNullOrEmpty(what));
        }
    }

    [Fact]
    public async Task DuplicateSyn_SendsGoAwayProtocolError()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            List<YamuxHeader> frames = await peer.ReadUntilClosedAsync(ct);
            Assert.Contains(frames, h => h.Type == YamuxFrameType.GoAway && h.Length == (uint)YamuxGoAwayCode.ProtocolError);
            await session.Completion.WaitAsync(ct);
            Assert.Contains("duplicate", session.TerminationException!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OversizeDataLength_RejectedBeforePayloadArrives()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);

            // Only the header: it claims one byte more than the stream's window. No payload ever follows.
            await peer.SendAsync(YamuxFrameType.Data, YamuxFlags.None, 1, YamuxConstants.InitialStreamWindow + 1);
            List<YamuxHeader> frames = await peer.ReadUntilClosedAsync(ct);
            Assert.Contains(frames, h => h.Type == YamuxFrameType.GoAway && h.Length == (uint)YamuxGoAwayCode.ProtocolError);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await stream.ReadAsync(new byte[1], ct));
            Assert.Equal(MuxError.ProtocolError, error.Error);
        }
    }

    [Fact]
    public async Task HugeLengthOnNewStream_RejectedBeforePayloadArrives()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.Data, YamuxFlags.Syn, 1, uint.MaxValue);
            List<YamuxHeader> frames = await peer.ReadUntilClosedAsync(ct);
            Assert.Contains(frames, h => h.Type == YamuxFrameType.GoAway && h.Length == (uint)YamuxGoAwayCode.ProtocolError);
        }
    }

    [Fact]
    public async Task DataPastWindow_SendsGoAwayAndHealthyStreamsKeepTheirBytes()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(3, "kept"u8.ToArray(), YamuxFlags.Syn);
            await peer.SendDataAsync(1, new byte[YamuxConstants.InitialStreamWindow], YamuxFlags.Syn);
            await peer.SendDataAsync(1, [1]);
            List<YamuxHeader> frames = await peer.ReadUntilClosedAsync(ct);
            Assert.Contains(frames, h => h.Type == YamuxFrameType.GoAway && h.Length == (uint)YamuxGoAwayCode.ProtocolError);

            // The stream that behaved still hands over what arrived, then reports why the session ended.
            MuxStream healthy = await session.AcceptStreamAsync(ct);
            byte[] buffer = new byte[4];
            await healthy.ReadExactlyAsync(buffer, ct);
            Assert.Equal("kept"u8.ToArray(), buffer);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await healthy.ReadAsync(buffer, ct));
            Assert.Equal(MuxError.ProtocolError, error.Error);
        }
    }

    [Fact]
    public async Task DataOnUnknownStream_IsDroppedAndSessionGoesOn()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(99, new byte[1000]);
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.None, 77, 5000);
            await peer.SendAsync(YamuxFrameType.Ping, YamuxFlags.Syn, 0, 1234);
            var (pong, _) = await peer.ExpectAsync(_ => true, ct);
            Assert.Equal(new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Ack, 0, 1234), pong);
            Assert.Null(session.TerminationException);
        }
    }

    [Fact]
    public async Task TruncatedHeaderThenEof_EndsWithConnectionLostAndKeepsBufferedBytes()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(1, "payload"u8.ToArray(), YamuxFlags.Syn);
            await peer.SendRawAsync(new byte[] { 0, 0, 0 });
            peer.ShutdownSend();
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ConnectionLost, session.TerminationException?.Error);
            Assert.Contains("middle of a frame", session.TerminationException!.Message, StringComparison.Ordinal);

            MuxStream stream = await session.AcceptStreamAsync(ct);
            byte[] buffer = new byte[7];
            await stream.ReadExactlyAsync(buffer, ct);
            Assert.Equal("payload"u8.ToArray(), buffer);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await stream.ReadAsync(buffer, ct));
            Assert.Equal(MuxError.ConnectionLost, error.Error);
        }
    }

    [Fact]
    public async Task PeerClosesMidTransfer_ReadsEndWithErrorNotSilentEof()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            await peer.SendDataAsync(stream.Id, new byte[100]);
            await peer.DisposeAsync();
            byte[] buffer = new byte[100];
            await stream.ReadExactlyAsync(buffer, ct);
            var error = await Assert.ThrowsAsync<MuxException>(async () => await stream.ReadAsync(buffer, ct));
            Assert.Equal(MuxError.ConnectionLost, error.Error);
            await Assert.ThrowsAsync<MuxException>(async () => await session.OpenStreamAsync(ct));
        }
    }
}
