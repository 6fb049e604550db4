using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Weft.Mux.Protocol;
using Weft.Mux.Tests.Session;
using Weft.Mux.Tests.Support;
using Weft.Testing;

namespace Weft.Mux.Tests.Gomux;

/// <summary>A gomux session driven frame by frame by a raw gomux peer: semantics, limits and bad input.</summary>
public sealed class GomuxSessionTests
{
    private const string Psk = "session-test-psk";

    [Theory]
    [InlineData(true, 0u)]
    [InlineData(false, 1u)]
    public async Task OpenStream_IdsFollowGomuxParity(bool isClient, uint first)
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient, Psk);
        await using (session)
        await using (peer)
        {
            for (uint i = 0; i < 3; i++)
            {
                MuxStream stream = await session.OpenStreamAsync(ct);
                Assert.Equal(first + (2 * i), stream.Id);
                GomuxFrame open = await peer.ExpectAsync(ct);
                Assert.Equal((GomuxFrameType.OpenStream, first + (2 * i), 0u), (open.Type, open.Id, open.Header.Length));
            }
        }
    }

    [Fact]
    public async Task StreamVerbs_SendReceiverNamedFrames()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: true, Psk);
        await using (session)
        await using (peer)
        {
            MuxStream halfClosed = await session.OpenStreamAsync(ct);
            MuxStream readClosed = await session.OpenStreamAsync(ct);
            MuxStream disposed = await session.OpenStreamAsync(ct);
            MuxStream aborted = await session.OpenStreamAsync(ct);
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(GomuxFrameType.OpenStream, (await peer.ExpectAsync(ct)).Type);
            }

            // CompleteWrites is gomux's CloseWrite, which tells the receiver to close its READ side (flag 3).
            halfClosed.CompleteWrites();
            Assert.Equal((GomuxFrameType.CloseRead, 0u), Pair(await peer.ExpectAsync(ct)));
            await halfClosed.WritesClosed.WaitAsync(ct);

            // Aborting reads is gomux's CloseRead: flag 4 (the receiver stops writing).
            readClosed.Abort(MuxAbortDirection.Read);
            Assert.Equal((GomuxFrameType.CloseWrite, 2u), Pair(await peer.ExpectAsync(ct)));

            await disposed.DisposeAsync();
            Assert.Equal((GomuxFrameType.CloseStream, 4u), Pair(await peer.ExpectAsync(ct)));

            aborted.Abort(MuxAbortDirection.Both);
            Assert.Equal((GomuxFrameType.CloseStream, 6u), Pair(await peer.ExpectAsync(ct)));

            // The streams closed in full are forgotten at once; the half-closed ones stay until closed.
            Assert.Equal(2, session.StreamCount);
        }
    }

    [Fact]
    public async Task PeerCloseRead_WritesFailWithPeerClosedStream_ReadsGoOn()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);

            // The peer's CloseRead arrives as flag 4 (CloseWrite): this side's writes fail, its reads do not.
            await peer.SendAsync(GomuxFrameType.CloseWrite, 0);
            MuxException error = await Assert.ThrowsAsync<MuxException>(() => stream.WritesClosed.WaitAsync(ct));
            Assert.Equal(MuxError.PeerClosedStream, error.Error);
            error = await Assert.ThrowsAsync<MuxException>(async () => await stream.WriteAsync(new byte[1], ct));
            Assert.Equal(MuxError.PeerClosedStream, error.Error);

            await peer.SendDataAsync(0, [1, 2, 3]);
            byte[] buffer = new byte[3];
            Assert.Equal(3, await stream.ReadAsync(buffer, ct));
            Assert.Equal([1, 2, 3], buffer);
        }
    }

    [Fact]
    public async Task PeerCloseStream_BufferedDataThenEof_AndDisposeSendsNothing()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            await peer.SendDataAsync(0, [7, 8]);
            await peer.SendAsync(GomuxFrameType.CloseStream, 0);
            await LifecycleTests.WaitUntilAsync(() => session.StreamCount == 0, ct);

            byte[] buffer = new byte[8];
            Assert.Equal(2, await stream.ReadAsync(buffer, ct));
            Assert.Equal(0, await stream.ReadAsync(buffer, ct));
            await stream.ReadsClosed.WaitAsync(ct);
            Assert.Equal(MuxError.PeerClosedStream, (await Assert.ThrowsAsync<MuxException>(async () => await stream.WriteAsync(buffer, ct))).Error);
            await stream.DisposeAsync();

            // Nothing for stream 0 follows; the session's CloseMux proves the order.
            await session.DisposeAsync();
            GomuxFrame next = await peer.ExpectAsync(ct);
            Assert.Equal((GomuxFrameType.CloseMux, 0u), Pair(next));
        }
    }

    [Fact]
    public async Task PeerCloseMux_EndsSessionAsRemoteClosed_ReceivedBytesStayReadable()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            await peer.SendDataAsync(0, [42]);
            await peer.SendAsync(GomuxFrameType.CloseMux, 0);
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.RemoteClosed, session.TerminationException!.Error);

            byte[] one = new byte[1];
            Assert.Equal(1, await stream.ReadAsync(one, ct));
            Assert.Equal(42, one[0]);
            Assert.Equal(MuxError.RemoteClosed, (await Assert.ThrowsAsync<MuxException>(async () => await stream.ReadAsync(one, ct))).Error);

            // The receiver of CloseMux replies with nothing.
            Assert.Equal("eof", await peer.WaitForEndAsync(ct));
            Assert.DoesNotContain(peer.Received, f => f.Type == GomuxFrameType.CloseMux);
        }
    }

    [Fact]
    public async Task EofAtFrameBoundary_EndsSessionAsConnectionLost()
    {
        // gomux's Mux.Close can close the socket before its CloseMux is written: EOF between frames is an end.
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            _ = await session.AcceptStreamAsync(ct);
            peer.ShutdownSend();
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ConnectionLost, session.TerminationException!.Error);
            Assert.Contains("closed by the peer", session.TerminationException.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ManyReads_EveryWindowUpdateFitsGomuxLimit_AndCreditCoversAllData()
    {
        CancellationToken ct = TestToken.Create(60);
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            const int total = 8 << 20;
            Task<long> reader = Task.Run(async () =>
            {
                long read = 0;
                byte[] buffer = new byte[200_000];
                int n;
                while ((n = await stream.ReadAsync(buffer, ct)) > 0)
                {
                    read += n;
                }

                return read;
            }, ct);

            byte[] chunk = new byte[GomuxConstants.MaxLength];
            for (long sent = 0; sent < total; sent += chunk.Length)
            {
                await peer.WaitForCreditAsync(0, sent + chunk.Length, ct);
                await peer.SendDataAsync(0, chunk);
            }

            await peer.SendAsync(GomuxFrameType.CloseRead, 0);
            Assert.Equal(total, await reader.WaitAsync(ct));
            lock (peer.Received)
            {
                Assert.All(peer.Received, f => Assert.InRange(f.Header.Length, 0u, (uint)GomuxConstants.MaxLength));
                Assert.Contains(peer.Received, f => f.Type == GomuxFrameType.WindowUpdate);
            }
        }
    }

    [Fact]
    public async Task DataBeyondWindow_RejectedFromHeaderAlone()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            await peer.SendDataAsync(0, new byte[GomuxConstants.MaxLength]);
            await peer.SendDataAsync(0, new byte[GomuxConstants.MaxLength]);

            // The window is spent; a third frame's header alone ends the session (its body never comes).
            byte[] header = new byte[GomuxConstants.HeaderSize];
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 1);
            await peer.SendRawAsync(header);
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ProtocolError, session.TerminationException!.Error);
            Assert.Contains("exceeds its receive window", session.TerminationException.Message, StringComparison.Ordinal);
            Assert.Equal(2 * GomuxConstants.MaxLength, await DrainAsync(stream, ct));
        }
    }

    public static TheoryData<string, uint, uint, string> BadHeaders => new()
    {
        { "oversize data length", 65_537, 0, "exceeds the maximum" },
        { "oversize keepalive length", 65_537, 1, "exceeds the maximum" },
        { "unknown type", 0, 8, "unknown frame type" },
        { "length on CloseStream", 5, 5, "only Data and WindowUpdate" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task BadHeader_AfterGoodFrame_ClearErrorCleanCloseNothingSent(string what, uint length, uint flags, string expected)
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            _ = await session.AcceptStreamAsync(ct);

            // Only the 36-byte header: the refusal must not wait for a body.
            byte[] header = new byte[GomuxConstants.HeaderSize];
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), flags);
            await peer.SendRawAsync(header);
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ProtocolError, session.TerminationException!.Error);
            Assert.Contains(expected, session.TerminationException.Message, StringComparison.Ordinal);
            Assert.Equal("eof", await peer.WaitForEndAsync(ct));
            Assert.Empty(peer.Received);
            Assert.False(string.IsNullOrEmpty(what));
        }
    }

    [Fact]
    public async Task WrongPsk_CapturedClientFrames_FailWithKeyMessage()
    {
        // The real gomux client's frames (PSK weft-golden-psk) into a Weft server that was given "other".
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, GomuxCaptures.WrongPsk, GomuxCaptures.Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendRawAsync(GomuxCaptures.Bytes("wrong_psk", "c2s"));
            await session.Completion.WaitAsync(ct);
            MuxException error = session.TerminationException!;
            Assert.Equal(MuxError.ProtocolError, error.Error);
            Assert.Contains("different pre-shared keys", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(GomuxCaptures.WrongPsk, error.Message, StringComparison.Ordinal);
            Assert.Equal("eof", await peer.WaitForEndAsync(ct));
            Assert.Empty(peer.Received);
        }
    }

    [Fact]
    public async Task TamperedFrame_AfterGoodOnes_FailsAsTampered()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            var writer = new ArrayBufferWriter<byte>();
            peer.Codec.WriteFrame(writer, 0, GomuxFrameType.Data, 4, [1, 2, 3, 4]);
            byte[] good = writer.WrittenSpan.ToArray();
            byte[] bad = (byte[])good.Clone();
            bad[GomuxConstants.HeaderSize + 1] ^= 0x40;
            await peer.SendRawAsync(good);
            await peer.SendRawAsync(bad);
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ProtocolError, session.TerminationException!.Error);
            Assert.Contains("tampered with or corrupted", session.TerminationException.Message, StringComparison.Ordinal);

            // The authentic bytes before the tampered frame are delivered; the tampered ones never are.
            Assert.Equal(4, await DrainAsync(stream, ct));
        }
    }

    [Fact]
    public async Task TruncatedFrame_ThenEof_FailsAsTruncated()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            var writer = new ArrayBufferWriter<byte>();
            peer.Codec.WriteFrame(writer, 0, GomuxFrameType.OpenStream, 0, default);
            peer.Codec.WriteFrame(writer, 0, GomuxFrameType.Data, 100, new byte[100]);
            await peer.SendRawAsync(writer.WrittenMemory[..^10]);
            peer.ShutdownSend();
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ConnectionLost, session.TerminationException!.Error);
            Assert.Contains("truncated", session.TerminationException.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OpenStreamWithOwnParity_IsProtocolError()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 1);
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ProtocolError, session.TerminationException!.Error);
            Assert.Contains("parity", session.TerminationException.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task FramesForUnknownStreams_AreIgnored()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(8, [1]);
            await peer.SendAsync(GomuxFrameType.WindowUpdate, 8, 100);
            await peer.SendAsync(GomuxFrameType.CloseStream, 8);
            await peer.SendAsync(GomuxFrameType.Keepalive, 0);
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            Assert.Equal(0u, stream.Id);
            Assert.Null(session.TerminationException);
        }
    }

    [Fact]
    public async Task Idle_SendsKeepaliveAfterInterval_NotWhileBusy()
    {
        CancellationToken ct = TestToken.Create();
        var time = new Support.ManualTimeProvider();
        var options = new MuxOptions { TimeProvider = time, KeepAliveInterval = TimeSpan.FromSeconds(20) };
        var (session, peer) = await GomuxPeer.StartAsync(isClient: true, Psk, options: options);
        await using (session)
        await using (peer)
        {
            Task<GomuxFrame> keepalive = peer.ExpectAsync(ct);
            await LifecycleTests.AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => keepalive.IsCompleted, ct);
            Assert.Equal((GomuxFrameType.Keepalive, 0u), Pair(await keepalive.WaitAsync(ct)));
            Assert.Throws<NotSupportedException>(() => session.PingAsync(ct).AsTask().GetAwaiter().GetResult());
        }
    }

    [Fact]
    public async Task LocalDispose_SendsCloseMuxThenFin()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await GomuxPeer.StartAsync(isClient: true, Psk);
        await using (peer)
        {
            await session.DisposeAsync();
            Assert.Equal((GomuxFrameType.CloseMux, 0u), Pair(await peer.ExpectAsync(ct)));
            Assert.Equal("eof", await peer.WaitForEndAsync(ct));
        }
    }

    [Fact]
    public async Task YamuxClient_AgainstGomuxServer_BothNameTheDialectMismatch()
    {
        CancellationToken ct = TestToken.Create();
        StreamPair tcp = await TcpPair.CreateAsync(ct);
        await using MuxSession client = MuxSession.CreateClient(tcp.First, new MuxOptions { KeepAliveInterval = Timeout.InfiniteTimeSpan });
        await using MuxSession server = MuxSession.CreateServer(tcp.Second, new MuxOptions { Dialect = MuxDialect.Gomux(Psk) });
        MuxStream stream = await client.OpenStreamAsync(ct);
        await stream.WriteAsync(new byte[10], ct);
        await server.Completion.WaitAsync(ct);
        Assert.Equal(MuxError.ProtocolError, server.TerminationException!.Error);
        Assert.Contains("sent yamux frames, not gomux", server.TerminationException.Message, StringComparison.Ordinal);
        await client.Completion.WaitAsync(ct);
    }

    [Fact]
    public async Task GomuxClient_AgainstYamuxServer_NamesTheDialectMismatch()
    {
        CancellationToken ct = TestToken.Create();
        StreamPair tcp = await TcpPair.CreateAsync(ct);
        await using MuxSession client = MuxSession.CreateClient(tcp.First, new MuxOptions { Dialect = MuxDialect.Gomux(Psk) });
        await using MuxSession server = MuxSession.CreateServer(tcp.Second);
        MuxStream stream = await client.OpenStreamAsync(ct);
        await stream.WriteAsync(new byte[10], ct);
        await server.Completion.WaitAsync(ct);
        Assert.Equal(MuxError.ProtocolError, server.TerminationException!.Error);
        Assert.Contains("sent gomux frames, not yamux", server.TerminationException.Message, StringComparison.Ordinal);
        await client.Completion.WaitAsync(ct);
    }

    [Fact]
    public async Task SessionsWithDifferentKeys_FailWithKeyMessage()
    {
        CancellationToken ct = TestToken.Create();
        StreamPair tcp = await TcpPair.CreateAsync(ct);
        await using MuxSession client = MuxSession.CreateClient(tcp.First, new MuxOptions { Dialect = MuxDialect.Gomux("one key") });
        await using MuxSession server = MuxSession.CreateServer(tcp.Second, new MuxOptions { Dialect = MuxDialect.Gomux("another key") });
        _ = await client.OpenStreamAsync(ct);
        await server.Completion.WaitAsync(ct);
        Assert.Contains("different pre-shared keys", server.TerminationException!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("key\"", server.TerminationException.Message, StringComparison.Ordinal);
        await client.Completion.WaitAsync(ct);
    }

    [Fact]
    public void Options_GomuxRejectsFramesOver64KiB_AndDialectNeverPrintsKey()
    {
        var options = new MuxOptions { Dialect = MuxDialect.Gomux("secret-value"), MaxDataFrameSize = 128 * 1024 };
        Assert.Throws<ArgumentOutOfRangeException>(() => new MuxSession(new MemoryStream(), true, options));
        Assert.Equal("gomux", MuxDialect.Gomux("secret-value").ToString());
        Assert.Equal(MuxDialectKind.Gomux, MuxDialect.Parse("GOMUX", "k").Kind);
        Assert.Same(MuxDialect.Yamux, MuxDialect.Parse("yamux"));
        Assert.Throws<ArgumentException>(() => MuxDialect.Parse("gomux"));
        Assert.Throws<ArgumentException>(() => MuxDialect.Parse("yamux", "k"));
        Assert.Throws<ArgumentException>(() => MuxDialect.Parse("smux"));
        Assert.Throws<ArgumentException>(() => MuxDialect.Gomux(""));
        Assert.Throws<ArgumentException>(() => MuxDialect.Gomux(new byte[31]));
    }

    private static (GomuxFrameType, uint) Pair(GomuxFrame frame) => (frame.Type, frame.Id);

    private static async Task<long> DrainAsync(MuxStream stream, CancellationToken ct)
    {
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                total += n;
            }
        }
        catch (MuxException)
        {
            // The session's error comes after the bytes it received.
        }

        return total;
    }
}
