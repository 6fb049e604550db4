using System.Security.Cryptography;
using System.Text;
using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Gomux;

/// <summary>
/// Each direction of the real gomux capture replayed, byte for byte, into a Weft session playing the other
/// side; the Weft side performs the scripted events of events.json and its own frames are checked against
/// the other direction of the capture (interop/gomux/README.md, "How a test should use these files", 4).
/// </summary>
public sealed class GomuxReplayTests
{
    private const string BigSha = "d2979f63fc353288130be1837d34f088e378e76c5baa67b8a6077c950db3c286";

    [Fact]
    public async Task ClientCaptureReplay_IntoServerSession_ReproducesServerEvents()
    {
        CancellationToken ct = TestToken.Create(60);
        byte[] wire = GomuxCaptures.Bytes("golden", "c2s");
        IReadOnlyList<CapturedFrame> frames = GomuxCaptures.Frames("golden", "c2s");
        Assert.Equal(15, frames.Count);
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, GomuxCaptures.Psk);
        await using (session)
        await using (peer)
        {
            int next = 0;
            Task SendFramesAsync(int count)
            {
                CapturedFrame first = frames[next];
                CapturedFrame last = frames[next + count - 1];
                next += count;
                return peer.SendRawAsync(wire.AsMemory((int)first.Offset, (int)(last.Offset + last.WireLength - first.Offset)));
            }

            // a: OpenStream(0), Data(0, "hello from client"); the server replies "hello from server".
            await SendFramesAsync(2);
            MuxStream a = await session.AcceptStreamAsync(ct);
            Assert.Equal(0u, a.Id);
            Assert.Equal("hello from client", await ReadTextAsync(a, 17, ct));
            await a.WriteAsync("hello from server"u8.ToArray(), ct);
            GomuxFrame reply = await peer.ExpectAsync(ct);
            AssertFrame(reply, GomuxFrameType.Data, 0, "hello from server");

            // b: WU(0,17), OpenStream(2), then 200000 bytes as the client sent them, each Data frame only once
            // the server has granted the window for it (as gomux's sender waits).
            await SendFramesAsync(2);
            MuxStream b = await session.AcceptStreamAsync(ct);
            Assert.Equal(2u, b.Id);
            Task<byte[]> readAll = ReadToCountAsync(b, 200_000, ct);
            long sent = 0;
            for (int i = 0; i < 4; i++)
            {
                CapturedFrame data = frames[next];
                Assert.Equal("Data", data.Type);
                await peer.WaitForCreditAsync(2, sent + data.Length, ct);
                await SendFramesAsync(1);
                sent += data.Length;
            }

            byte[] big = await readAll;
            Assert.Equal(BigSha, Convert.ToHexStringLower(SHA256.HashData(big)));
            await b.WriteAsync(Encoding.ASCII.GetBytes(BigSha), ct);
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.Data, 2, BigSha);

            // c: the server opens C, which must get id 1, and writes on it.
            MuxStream c = await session.OpenStreamAsync(ct);
            Assert.Equal(1u, c.Id);
            await c.WriteAsync("server-initiated"u8.ToArray(), ct);
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.OpenStream, 1);
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.Data, 1, "server-initiated");

            // d: WU(2,64), WU(1,16), CloseRead(0) = the client's CloseWrite: the server reads EOF on A, then writes.
            await SendFramesAsync(3);
            Assert.Equal(0, await a.ReadAsync(new byte[16], ct));
            await a.WriteAsync("after-half-close"u8.ToArray(), ct);
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.Data, 0, "after-half-close");

            // WU(0,16), CloseStream(0): A is closed by the peer; writes fail, and the server's Close sends nothing.
            await SendFramesAsync(2);
            MuxException closedA = await Assert.ThrowsAsync<MuxException>(() => a.WritesClosed.WaitAsync(ct));
            Assert.Equal(MuxError.PeerClosedStream, closedA.Error);
            await a.DisposeAsync();

            // e: CloseStream(2): the server's Read on B returns EOF, its Close sends nothing; closing C sends CloseStream(1).
            await SendFramesAsync(1);
            Assert.Equal(0, await b.ReadAsync(new byte[1], ct));
            await b.DisposeAsync();
            await c.DisposeAsync();
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.CloseStream, 1);

            // f: CloseMux: the server's AcceptStream fails with "peer closed mux gracefully", and the session ends.
            await SendFramesAsync(1);
            Assert.Equal(frames.Count, next);
            MuxException closed = await Assert.ThrowsAsync<MuxException>(async () => await session.AcceptStreamAsync(ct));
            Assert.Equal(MuxError.RemoteClosed, closed.Error);
            Assert.Contains("closed the mux gracefully", closed.Message, StringComparison.Ordinal);
            await session.Completion.WaitAsync(ct);
            Assert.Equal("eof", await peer.WaitForEndAsync(ct));

            // What the Weft server sent is what gomux's server sent, apart from window updates (Weft grants credit
            // by half windows, gomux per Read): every other frame, in order.
            Assert.Equal(NonWindowFrames(GomuxCaptures.Frames("golden", "s2c")), NonWindowFrames(peer.Received));
            Assert.All(peer.Received, f => Assert.True(f.Header.Length <= GomuxConstants.MaxLength, $"{f} is longer than gomux accepts"));
        }
    }

    [Fact]
    public async Task ServerCaptureReplay_IntoClientSession_ReproducesClientEvents()
    {
        CancellationToken ct = TestToken.Create(60);
        byte[] wire = GomuxCaptures.Bytes("golden", "s2c");
        IReadOnlyList<CapturedFrame> frames = GomuxCaptures.Frames("golden", "s2c");
        Assert.Equal(11, frames.Count);
        var (session, peer) = await GomuxPeer.StartAsync(isClient: true, GomuxCaptures.Psk);
        await using (session)
        await using (peer)
        {
            int next = 0;
            Task SendFramesAsync(int count)
            {
                CapturedFrame first = frames[next];
                CapturedFrame last = frames[next + count - 1];
                next += count;
                return peer.SendRawAsync(wire.AsMemory((int)first.Offset, (int)(last.Offset + last.WireLength - first.Offset)));
            }

            // a: the client opens A (id 0) and writes; the server's WU(0,17) and Data(0,"hello from server") follow.
            MuxStream a = await session.OpenStreamAsync(ct);
            Assert.Equal(0u, a.Id);
            await a.WriteAsync("hello from client"u8.ToArray(), ct);
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.OpenStream, 0);
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.Data, 0, "hello from client");
            await SendFramesAsync(2);
            Assert.Equal("hello from server", await ReadTextAsync(a, 17, ct));

            // b: the client opens B (id 2) and writes 200000 bytes in one call; it can send 128 KiB, then waits for
            // the server's captured WindowUpdates, each sent once the bytes it credits have arrived.
            MuxStream b = await session.OpenStreamAsync(ct);
            Assert.Equal(2u, b.Id);
            byte[] big = new byte[200_000];
            for (int i = 0; i < big.Length; i++)
            {
                big[i] = (byte)((i * 7 + 3) % 251);
            }

            Task write = b.WriteAsync(big, ct).AsTask();
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.OpenStream, 2);
            var received = new MemoryStream();
            for (int i = 0; i < 4; i++)
            {
                CapturedFrame update = frames[next];
                Assert.Equal("WindowUpdate", update.Type);
                while (received.Length < (i + 1) * 65536L && received.Length < big.Length)
                {
                    GomuxFrame data = await peer.ExpectAsync(ct);
                    AssertFrame(data, GomuxFrameType.Data, 2);
                    received.Write(data.Payload);
                }

                await SendFramesAsync(1);
            }

            await write.WaitAsync(ct);
            Assert.Equal(BigSha, Convert.ToHexStringLower(SHA256.HashData(received.ToArray())));
            await SendFramesAsync(1);
            Assert.Equal(BigSha, await ReadTextAsync(b, 64, ct));

            // c: the server opens C (id 1) and writes "server-initiated".
            await SendFramesAsync(2);
            MuxStream c = await session.AcceptStreamAsync(ct);
            Assert.Equal(1u, c.Id);
            Assert.Equal("server-initiated", await ReadTextAsync(c, 16, ct));

            // d: CompleteWrites is gomux's CloseWrite, which sends CloseRead(0); the server still writes on A.
            a.CompleteWrites();
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.CloseRead, 0);
            await SendFramesAsync(1);
            Assert.Equal("after-half-close", await ReadTextAsync(a, 16, ct));
            await a.DisposeAsync();
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.CloseStream, 0);

            // e: the client closes B (CloseStream(2)); the server's CloseStream(1) ends C's reads, and the
            // client's later Close of C sends nothing.
            await b.DisposeAsync();
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.CloseStream, 2);
            await SendFramesAsync(1);
            Assert.Equal(frames.Count, next);
            Assert.Equal(0, await c.ReadAsync(new byte[1], ct));
            await c.DisposeAsync();

            // f: closing the session sends CloseMux and then FIN.
            await session.DisposeAsync();
            AssertFrame(await peer.ExpectAsync(ct), GomuxFrameType.CloseMux, 0);
            Assert.Equal("eof", await peer.WaitForEndAsync(ct));
            Assert.Equal(NonWindowFrames(GomuxCaptures.Frames("golden", "c2s")), NonWindowFrames(peer.Received));
            Assert.All(peer.Received, f => Assert.True(f.Header.Length <= GomuxConstants.MaxLength, $"{f} is longer than gomux accepts"));
        }
    }

    [Fact]
    public async Task WindowUpdateOverflowCapture_IntoClientSession_IsAcceptedAsCredit()
    {
        // gomux's own peer dies on this WU(0, 131072) (the wu-overflow capture); Weft accepts it as credit.
        CancellationToken ct = TestToken.Create();
        byte[] wire = GomuxCaptures.Bytes("wu_overflow", "s2c");
        var (session, peer) = await GomuxPeer.StartAsync(isClient: true, GomuxCaptures.Psk);
        await using (session)
        await using (peer)
        {
            MuxStream a = await session.OpenStreamAsync(ct);
            Assert.Equal(0u, a.Id);
            await peer.SendRawAsync(wire);

            // 128 KiB of initial window plus the 128 KiB the update granted: 256 KiB go out without waiting.
            await a.WriteAsync(new byte[2 * GomuxConstants.InitialWindow], ct);
            long data = 0;
            while (data < 2 * GomuxConstants.InitialWindow)
            {
                GomuxFrame frame = await peer.ExpectAsync(ct);
                if (frame.Type == GomuxFrameType.Data)
                {
                    data += frame.Payload.Length;
                }
            }

            Assert.Null(session.TerminationException);
        }
    }

    private static List<string> NonWindowFrames(IEnumerable<CapturedFrame> frames) =>
        [.. frames.Where(f => f.Type != "WindowUpdate").Select(f => $"{f.Type}({f.Id},{f.Length})")];

    private static List<string> NonWindowFrames(List<GomuxFrame> frames)
    {
        lock (frames)
        {
            return [.. frames.Where(f => f.Type != GomuxFrameType.WindowUpdate).Select(f => $"{f.Type}({f.Id},{f.Header.Length})")];
        }
    }

    private static void AssertFrame(GomuxFrame frame, GomuxFrameType type, uint id, string? text = null)
    {
        Assert.Equal((type, id), (frame.Type, frame.Id));
        if (text is not null)
        {
            Assert.Equal(text, Encoding.ASCII.GetString(frame.Payload));
        }
    }

    private static async Task<string> ReadTextAsync(MuxStream stream, int count, CancellationToken ct) =>
        Encoding.ASCII.GetString(await ReadToCountAsync(stream, count, ct));

    private static async Task<byte[]> ReadToCountAsync(MuxStream stream, int count, CancellationToken ct)
    {
        byte[] buffer = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            Assert.True(n > 0, $"end of stream after {filled} of {count} bytes");
            filled += n;
        }

        return buffer;
    }
}
