using System.Security.Cryptography;
using Weft.Crypto;

namespace Weft.Security.Tests;

public sealed class BoxStreamTests
{
    // Golden vector produced by the npm pull-box-stream 1.0.13 (an independent implementation): key 00..1f, nonce
    // 40..55 ‖ ff fe (so the counter carries), plaintext "hello" then 4100 bytes of (i*7 mod 251), then goodbye.
    private const string GoldenFirstFrame = "6a357275d2f7294b978747fc05c56dce608f9887579ceeb72ee786e8600d5a4e4ae19c4b41d63b";
    private const string GoldenGoodbye = "a64863f6b29ce64b5da129c937adf7d3af50d642fa4cab521ffe7e5ebfa8b08631f6";
    private const string GoldenSha256 = "8059ab1b1faf4bc9e7f1e571cb27e9aff33ffc0fdc2ee147117c7cc1245a65d6";

    private static byte[] GoldenKey => Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    private static byte[] GoldenNonce
    {
        get
        {
            byte[] nonce = Enumerable.Range(0x40, 24).Select(i => (byte)i).ToArray();
            nonce[22] = 0xff;
            nonce[23] = 0xfe;
            return nonce;
        }
    }

    private static byte[] GoldenBig => Enumerable.Range(0, 4100).Select(i => (byte)(i * 7 % 251)).ToArray();

    [Fact]
    public void Write_GoldenVector_MatchesPullBoxStream()
    {
        byte[] wire = Record(GoldenKey, GoldenNonce, "hello"u8.ToArray(), GoldenBig);

        Assert.Equal(4241, wire.Length);
        Assert.Equal(GoldenFirstFrame, Convert.ToHexStringLower(wire.AsSpan(0, 39)));
        Assert.Equal(GoldenGoodbye, Convert.ToHexStringLower(wire.AsSpan(wire.Length - 34)));
        Assert.Equal(GoldenSha256, Convert.ToHexStringLower(SHA256.HashData(wire)));
    }

    [Fact]
    public async Task Read_GoldenVector_YieldsPlaintextThenCleanEnd()
    {
        using var cts = TestStreams.Timeout();
        byte[] wire = Record(GoldenKey, GoldenNonce, "hello"u8.ToArray(), GoldenBig);

        (byte[] plain, Exception? error) = await ReadAllAsync(wire, GoldenKey, GoldenNonce, cts.Token);

        Assert.Null(error);
        Assert.Equal([.. "hello"u8.ToArray(), .. GoldenBig], plain);
    }

    [Fact]
    public void Write_10000Bytes_SplitsIntoChunksOfAtMost4096()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] wire = Record(key, nonce, RandomNumberGenerator.GetBytes(10_000));

        // 4096 + 4096 + 1808 bytes, each behind a 34-byte header, then the 34-byte goodbye.
        Assert.Equal(10_000 + (3 * 34) + 34, wire.Length);
        var header = new byte[18];
        Assert.True(SecretBox.TryDecrypt(wire.AsSpan(0, 34), nonce, key, header));
        Assert.Equal(4096, (header[0] << 8) | header[1]);
    }

    [Fact]
    public async Task Read_EveryByteFlipped_ThrowsAuthenticationFailureAndNeverYieldsTamperedData()
    {
        using var cts = TestStreams.Timeout(120);
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] plain1 = RandomNumberGenerator.GetBytes(5);
        byte[] plain2 = RandomNumberGenerator.GetBytes(4100);
        byte[] plain3 = RandomNumberGenerator.GetBytes(1);
        byte[] expected = [.. plain1, .. plain2, .. plain3];
        byte[] wire = Record(key, nonce, plain1, plain2, plain3);

        for (int position = 0; position < wire.Length; position++)
        {
            byte[] tampered = (byte[])wire.Clone();
            tampered[position] ^= (byte)(1 << Random.Shared.Next(8));

            (byte[] plain, Exception? error) = await ReadAllAsync(tampered, key, nonce, cts.Token);

            var secure = Assert.IsType<SecureChannelException>(error);
            Assert.Equal(SecureChannelError.MessageAuthenticationFailed, secure.Error);
            Assert.True(expected.AsSpan().StartsWith(plain), $"tampered data surfaced (flip at {position})");
            if (position < wire.Length - 34)
            {
                // Only a flip in the final goodbye comes after all the data.
                Assert.True(plain.Length < expected.Length, $"the chunk flipped at {position} was delivered");
            }
        }
    }

    [Fact]
    public async Task Read_TruncatedAtEveryLength_ThrowsUnexpectedHangup()
    {
        using var cts = TestStreams.Timeout(120);
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] plain1 = RandomNumberGenerator.GetBytes(100);
        byte[] plain2 = RandomNumberGenerator.GetBytes(4096);
        byte[] plain3 = RandomNumberGenerator.GetBytes(7);
        byte[] expected = [.. plain1, .. plain2, .. plain3];
        byte[] wire = Record(key, nonce, plain1, plain2, plain3);

        // Where a chunk (34-byte header + body) ends: a cut there loses whole chunks or the goodbye, anywhere else
        // it splits a chunk. The two say different things.
        int[] chunkEnds = [0, 34 + 100, 34 + 100 + 34 + 4096, 34 + 100 + 34 + 4096 + 34 + 7];
        for (int length = 0; length < wire.Length; length++)
        {
            (byte[] plain, Exception? error) = await ReadAllAsync(wire.AsSpan(0, length).ToArray(), key, nonce, cts.Token);

            var secure = Assert.IsType<SecureChannelException>(error);
            Assert.Equal(SecureChannelError.UnexpectedHangup, secure.Error);
            Assert.True(expected.AsSpan().StartsWith(plain));
            string expectedMessage = chunkEnds.Contains(length) ? "without the peer's goodbye" : "in the middle of a chunk";
            Assert.Contains(expectedMessage, secure.Message, StringComparison.Ordinal);
        }

        (byte[] all, Exception? none) = await ReadAllAsync(wire, key, nonce, cts.Token);
        Assert.Null(none);
        Assert.Equal(expected, all);
    }

    [Theory]
    [InlineData(0x1001, 1)]
    [InlineData(0xffff, 1)]
    [InlineData(0, 1)]
    public async Task Read_AuthenticatedHeaderWithBadLength_ThrowsProtocolViolation(int length, byte macByte)
    {
        using var cts = TestStreams.Timeout();
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        var headerPlain = new byte[18];
        headerPlain[0] = (byte)(length >> 8);
        headerPlain[1] = (byte)length;
        headerPlain[2] = macByte;
        var wire = new byte[34 + 8000];
        SecretBox.Encrypt(headerPlain, nonce, key, wire);

        (_, Exception? error) = await ReadAllAsync(wire, key, nonce, cts.Token);

        Assert.Equal(SecureChannelError.ProtocolViolation, Assert.IsType<SecureChannelException>(error).Error);
    }

    [Fact]
    public async Task Read_AfterFailure_KeepsFailing()
    {
        using var cts = TestStreams.Timeout();
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] wire = Record(key, nonce, [1, 2, 3]);
        wire[0] ^= 1;
        (_, SessionKeys reader) = Fixtures.KeyPair(key, nonce);
        await using var box = new BoxStream(new RecordingStream(wire), reader, leaveOpen: false);
        var buffer = new byte[10];

        await Assert.ThrowsAsync<SecureChannelException>(async () => await box.ReadAsync(buffer, cts.Token));
        var again = await Assert.ThrowsAsync<SecureChannelException>(async () => await box.ReadAsync(buffer, cts.Token));
        Assert.Equal(SecureChannelError.MessageAuthenticationFailed, again.Error);
        Assert.Throws<SecureChannelException>(() => box.Read(buffer));
    }

    [Fact]
    public async Task Read_AfterGoodbye_KeepsReturningZero()
    {
        using var cts = TestStreams.Timeout();
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] wire = Record(key, nonce, [9, 8, 7]);
        (_, SessionKeys reader) = Fixtures.KeyPair(key, nonce);
        await using var box = new BoxStream(new RecordingStream(wire), reader, leaveOpen: false);
        var buffer = new byte[2];

        Assert.Equal(2, await box.ReadAsync(buffer, cts.Token));
        Assert.Equal(1, box.Read(buffer));
        Assert.False(box.ReadsCompleted);
        Assert.Equal(0, await box.ReadAsync(buffer, cts.Token));
        Assert.True(box.ReadsCompleted);
        Assert.Equal(0, box.Read(buffer));
        Assert.Equal(0, await box.ReadAsync(buffer, cts.Token));
    }

    [Fact]
    public void Write_AfterCompleteWrites_ThrowsAndGoodbyeIsSentOnce()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        (SessionKeys writer, _) = Fixtures.KeyPair(key, nonce);
        var inner = new RecordingStream();
        var box = new BoxStream(inner, writer, leaveOpen: false);

        box.Write([1, 2, 3]);
        box.CompleteWrites();
        box.CompleteWrites();
        Assert.True(box.WritesCompleted);
        Assert.False(box.CanWrite);
        Assert.Throws<InvalidOperationException>(() => box.Write([4]));
        box.Dispose();

        Assert.Equal(34 + 3 + 34, inner.Output.Length);
        Assert.True(inner.IsDisposed);
        Assert.True(inner.FlushCount >= 1);
    }

    [Fact]
    public async Task Dispose_WithoutCompleteWrites_SendsGoodbyeSoPeerEndsCleanly()
    {
        using var cts = TestStreams.Timeout();
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        (SessionKeys writer, _) = Fixtures.KeyPair(key, nonce);
        var inner = new RecordingStream();
        await using (var box = new BoxStream(inner, writer, leaveOpen: true))
        {
            await box.WriteAsync(new byte[] { 5, 6 }, cts.Token);
        }

        Assert.False(inner.IsDisposed);
        (byte[] plain, Exception? error) = await ReadAllAsync(inner.Output.ToArray(), key, nonce, cts.Token);
        Assert.Null(error);
        Assert.Equal(new byte[] { 5, 6 }, plain);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_AfterTamperedRead_SendsNoGoodbyeSoPeerSeesAHangup(bool async)
    {
        using var cts = TestStreams.Timeout();
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] wire = Record(key, nonce, RandomNumberGenerator.GetBytes(100));
        wire[40] ^= 0x01;
        (_, SessionKeys reader) = Fixtures.KeyPair(key, nonce);
        var inner = new RecordingStream(wire);
        var box = new BoxStream(inner, reader, leaveOpen: true);

        var error = await Assert.ThrowsAsync<SecureChannelException>(async () => await box.ReadAsync(new byte[256], cts.Token));
        Assert.Equal(SecureChannelError.MessageAuthenticationFailed, error.Error);
        if (async)
        {
            await box.DisposeAsync();
        }
        else
        {
            box.Dispose();
        }

        Assert.Equal(0, inner.Output.Length);
    }

    [Fact]
    public void Write_LargeBuffer_BatchesChunksIntoFewInnerWrites()
    {
        (SessionKeys writer, _) = Fixtures.KeyPair(new byte[32], new byte[24]);
        var inner = new RecordingStream();
        using var box = new BoxStream(inner, writer, leaveOpen: true);

        box.Write(new byte[1 << 20]);

        // 256 chunks of 4096 bytes, sixteen per inner write.
        Assert.Equal(16, inner.WriteCount);
        Assert.Equal((1 << 20) + (256 * 34), inner.Output.Length);
    }

    [Fact]
    public async Task Read_SmallCallerBuffers_ReassembleRandomWriteSizes()
    {
        using var cts = TestStreams.Timeout();
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[][] pieces = Enumerable.Range(0, 50).Select(_ => RandomNumberGenerator.GetBytes(Random.Shared.Next(1, 9000))).ToArray();
        byte[] wire = Record(key, nonce, pieces);
        (_, SessionKeys reader) = Fixtures.KeyPair(key, nonce);
        await using var box = new BoxStream(new RecordingStream(wire), reader, leaveOpen: false);

        using var received = new MemoryStream();
        var buffer = new byte[777];
        int n;
        while ((n = Random.Shared.Next(2) == 0 ? box.Read(buffer) : await box.ReadAsync(buffer, cts.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        Assert.Equal(pieces.SelectMany(p => p).ToArray(), received.ToArray());
    }

    private static byte[] Record(byte[] key, byte[] nonce, params byte[][] writes)
    {
        (SessionKeys writer, _) = Fixtures.KeyPair(key, nonce);
        var inner = new RecordingStream();
        using (var box = new BoxStream(inner, writer, leaveOpen: true))
        {
            foreach (byte[] write in writes)
            {
                box.Write(write);
            }

            box.CompleteWrites();
        }

        return inner.Output.ToArray();
    }

    private static async Task<(byte[] Plain, Exception? Error)> ReadAllAsync(byte[] wire, byte[] key, byte[] nonce, CancellationToken ct)
    {
        (_, SessionKeys reader) = Fixtures.KeyPair(key, nonce);
        await using var box = new BoxStream(new RecordingStream(wire), reader, leaveOpen: false);
        using var plain = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await box.ReadAsync(buffer, ct)) > 0)
            {
                plain.Write(buffer, 0, n);
            }

            return (plain.ToArray(), null);
        }
        catch (Exception e)
        {
            return (plain.ToArray(), e);
        }
    }
}
