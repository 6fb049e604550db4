using System.Buffers;
using System.Security.Cryptography;
using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Gomux;

/// <summary>
/// The gomux receive path that decrypts each Data frame straight from the pipe's buffer into the stream (the waiting
/// reader's buffer, or the receive buffer's segments): frames straddling the pipe's buffers, both destinations,
/// and bad frames that must deliver nothing.
/// </summary>
public sealed class GomuxReceivePathTests
{
    private const string Psk = "receive-path-psk";

    /// <summary>A gomux server session with small read buffers and the peer's stream 0 opened and accepted.</summary>
    private static async Task<(MuxSession Session, GomuxPeer Peer, MuxStream Stream)> AcceptedStreamAsync(CancellationToken ct)
    {
        var (session, peer) = await GomuxPeer.StartAsync(isClient: false, Psk, options: SmallReadBuffer());
        try
        {
            await peer.SendAsync(GomuxFrameType.OpenStream, 0);
            return (session, peer, await session.AcceptStreamAsync(ct));
        }
        catch
        {
            await peer.DisposeAsync();
            await session.DisposeAsync();
            throw;
        }
    }

    // The smallest read buffer the options allow: every frame over 4 KiB straddles the pipe's segments.
    private static MuxOptions SmallReadBuffer() => new() { ReadBufferSize = 4096 };

    [Fact]
    public async Task DataFrames_StraddlingSmallPipeBuffers_IntoTheReceiveBuffer_ArriveIntact()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer, stream) = await AcceptedStreamAsync(ct);
        await using (session)
        await using (peer)
        {
            // Nobody reads while these arrive: they are decrypted into the receive buffer's segments, and sizes
            // around the 64 KiB segment size make some frames start a new segment with room left in the last one.
            int[] sizes = [1, 4095, 4096, 4097, 10_000, 30_000, 40_000, 35_000];
            byte[] expected = RandomNumberGenerator.GetBytes(sizes.Sum());
            await SendInOddPiecesAsync(peer, expected, sizes);
            await WaitUntilAsync(() => stream.ReceiveCredit == GomuxConstants.InitialWindow - expected.Length, ct);

            byte[] got = await ReadExactlyAsync(stream, expected.Length, readSize: 3000, ct);
            Assert.Equal(expected, got);
            Assert.Null(session.TerminationException);
        }
    }

    [Fact]
    public async Task DataFrames_StraddlingSmallPipeBuffers_IntoAWaitingRead_ArriveIntact()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer, stream) = await AcceptedStreamAsync(ct);
        await using (session)
        await using (peer)
        {
            for (int round = 0; round < 8; round++)
            {
                int size = 1000 + (round * 9000);
                byte[] expected = RandomNumberGenerator.GetBytes(size);
                byte[] buffer = new byte[64 * 1024];

                // The read waits first, so the frame is decrypted straight into its buffer.
                ValueTask<int> read = stream.ReadAsync(buffer, ct);
                await WaitUntilAsync(() => stream.IsReadWaiting, ct);
                await SendInOddPiecesAsync(peer, expected, [size]);
                int n = await read;
                Assert.Equal(size, n);
                Assert.Equal(expected, buffer[..n]);
            }

            Assert.Null(session.TerminationException);
        }
    }

    [Fact]
    public async Task FrameLargerThanTheWaitingRead_GoesToTheReceiveBuffer_InOrder()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer, stream) = await AcceptedStreamAsync(ct);
        await using (session)
        await using (peer)
        {
            byte[] expected = RandomNumberGenerator.GetBytes(20_000);
            byte[] small = new byte[1500];
            ValueTask<int> read = stream.ReadAsync(small, ct);
            await WaitUntilAsync(() => stream.IsReadWaiting, ct);
            await SendInOddPiecesAsync(peer, expected, [7000, 13_000]);

            // The waiting read's buffer cannot hold a frame: it gets the first bytes from the receive buffer.
            int n = await read;
            byte[] rest = await ReadExactlyAsync(stream, expected.Length - n, readSize: 4096, ct);
            Assert.Equal(expected, (byte[])[.. small[..n], .. rest]);
        }
    }

    [Fact]
    public async Task TamperedFrame_IntoAWaitingRead_FailsTheSession_DeliversNothing()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer, stream) = await AcceptedStreamAsync(ct);
        await using (session)
        await using (peer)
        {
            byte[] good = RandomNumberGenerator.GetBytes(2000);
            byte[] secret = RandomNumberGenerator.GetBytes(10_000);
            byte[] buffer = new byte[64 * 1024];
            Array.Fill(buffer, (byte)0xEE);

            ValueTask<int> first = stream.ReadAsync(buffer, ct);
            await WaitUntilAsync(() => stream.IsReadWaiting, ct);
            await peer.SendDataAsync(0, good);
            Assert.Equal(good.Length, await first);
            Assert.Equal(good, buffer[..good.Length]);

            // A waiting read, then a frame (straddling the pipe's buffers) whose ciphertext was changed in transit.
            Array.Fill(buffer, (byte)0xEE);
            ValueTask<int> second = stream.ReadAsync(buffer, ct);
            await WaitUntilAsync(() => stream.IsReadWaiting, ct);
            byte[] bad = Seal(peer, 0, secret);
            bad[GomuxConstants.HeaderSize + 6000] ^= 0x01;
            await peer.SendRawAsync(bad);

            MuxException error = await Assert.ThrowsAsync<MuxException>(async () => await second);
            Assert.Equal(MuxError.ProtocolError, error.Error);
            Assert.Contains("tampered with or corrupted", error.Message, StringComparison.Ordinal);
            Assert.Contains("after 2 good ones", session.TerminationException!.Message, StringComparison.Ordinal);

            // Nothing of the forged frame reached the reader: its buffer holds neither the plaintext nor any part of it.
            Assert.False(buffer.AsSpan(0, secret.Length).SequenceEqual(secret));
            Assert.Equal(-1, IndexOfRun(buffer, secret, 64));
        }
    }

    [Fact]
    public async Task TamperedTag_OfAFrameForTheReceiveBuffer_DeliversOnlyTheGoodFrames()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer, stream) = await AcceptedStreamAsync(ct);
        await using (session)
        await using (peer)
        {
            byte[] good = RandomNumberGenerator.GetBytes(30_000);
            byte[] bad = Seal(peer, 0, RandomNumberGenerator.GetBytes(30_000));
            bad[^1] ^= 0x80;
            await peer.SendRawAsync((byte[])[.. Seal(peer, 0, good), .. bad]);
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ProtocolError, session.TerminationException!.Error);
            Assert.Contains("tampered with or corrupted", session.TerminationException.Message, StringComparison.Ordinal);

            // Read only now: the good frame is there, then the session's error; the forged frame's bytes never are.
            byte[] got = await ReadUntilErrorAsync(stream, ct);
            Assert.Equal(good, got);
        }
    }

    [Fact]
    public async Task TruncatedLargeFrame_StraddlingBuffers_FailsAsTruncated_DeliversOnlyWholeFrames()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer, stream) = await AcceptedStreamAsync(ct);
        await using (session)
        await using (peer)
        {
            byte[] good = RandomNumberGenerator.GetBytes(5000);
            byte[] cut = Seal(peer, 0, RandomNumberGenerator.GetBytes(50_000));
            await peer.SendRawAsync((byte[])[.. Seal(peer, 0, good), .. cut.AsSpan(0, cut.Length - 1)]);
            peer.ShutdownSend();
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ConnectionLost, session.TerminationException!.Error);
            Assert.Contains("truncated", session.TerminationException.Message, StringComparison.Ordinal);
            Assert.Equal(good, await ReadUntilErrorAsync(stream, ct));
        }
    }

    [Fact]
    public async Task DataOverTheWindow_IsRefusedByItsHeader_BeforeTheBodyArrives()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer, stream) = await AcceptedStreamAsync(ct);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(0, new byte[65_536]);
            await peer.SendDataAsync(0, new byte[65_000]);

            // 536 bytes of credit left: a 1000-byte frame's header alone is enough to refuse it.
            byte[] over = Seal(peer, 0, new byte[1000]);
            await peer.SendRawAsync(over.AsMemory(0, GomuxConstants.HeaderSize));
            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ProtocolError, session.TerminationException!.Error);
            Assert.Contains("exceeds its receive window (536 bytes left)", session.TerminationException.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DataForAReadAbortedStream_IsStillAuthenticated()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer, stream) = await AcceptedStreamAsync(ct);
        await using (session)
        await using (peer)
        {
            stream.Abort(MuxAbortDirection.Read);
            await peer.SendDataAsync(0, new byte[65_536]);

            // Discarded data is credited back (gomux's peer may keep writing until it sees CloseWrite).
            await peer.WaitForCreditAsync(0, GomuxConstants.InitialWindow + 65_536, ct);
            byte[] bad = Seal(peer, 0, new byte[9000]);
            bad[GomuxConstants.HeaderSize] ^= 1;
            await peer.SendRawAsync(bad);
            await session.Completion.WaitAsync(ct);
            Assert.Contains("tampered with or corrupted", session.TerminationException!.Message, StringComparison.Ordinal);
        }
    }

    private static byte[] Seal(GomuxPeer peer, uint id, byte[] payload)
    {
        var writer = new ArrayBufferWriter<byte>();
        peer.Codec.WriteFrame(writer, id, GomuxFrameType.Data, (uint)payload.Length, payload);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Seals <paramref name="data"/> as Data frames of the given sizes and sends them in pieces of 1..5000 bytes.</summary>
    private static async Task SendInOddPiecesAsync(GomuxPeer peer, byte[] data, int[] sizes)
    {
        var writer = new ArrayBufferWriter<byte>();
        int offset = 0;
        foreach (int size in sizes)
        {
            peer.Codec.WriteFrame(writer, 0, GomuxFrameType.Data, (uint)size, data.AsSpan(offset, size));
            offset += size;
        }

        ReadOnlyMemory<byte> wire = writer.WrittenMemory;
        int piece = 1;
        while (!wire.IsEmpty)
        {
            int n = Math.Min(piece, wire.Length);
            await peer.SendRawAsync(wire[..n]);
            wire = wire[n..];
            piece = (piece * 7 % 5000) + 1;
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(MuxStream stream, int count, int readSize, CancellationToken ct)
    {
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int n = await stream.ReadAsync(result.AsMemory(filled, Math.Min(readSize, count - filled)), ct);
            Assert.NotEqual(0, n);
            filled += n;
        }

        return result;
    }

    private static async Task<byte[]> ReadUntilErrorAsync(MuxStream stream, CancellationToken ct)
    {
        var got = new List<byte>();
        byte[] buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                got.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (MuxException)
        {
            // The session's error comes after the bytes it received.
        }

        return [.. got];
    }

    private static int IndexOfRun(byte[] haystack, byte[] source, int run)
    {
        for (int i = 0; i + run <= source.Length; i += run)
        {
            int at = haystack.AsSpan().IndexOf(source.AsSpan(i, run));
            if (at >= 0)
            {
                return at;
            }
        }

        return -1;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(5, ct);
        }
    }
}
