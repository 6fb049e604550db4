using System.Buffers;
using System.Buffers.Binary;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Gomux;

/// <summary>
/// Golden bytes for one hand-built frame of every type, plus the reader's and writer's refusals. The vectors
/// were computed by an independent decoder (HChaCha20 written from draft-irtf-cfrg-xchacha + OpenSSL
/// ChaCha20-Poly1305), which also reproduces the real gomux captures.
/// </summary>
public sealed class GomuxCodecGoldenTests
{
    private const string GoldenDataHex = "030000000c00000000000000404142434445464748494a4b4c4d4e4f5051525354555657b3566805a8c01e79e390e2d0ef2e744e8e98788d10b2f00693ce47c3";

    private static readonly byte[] s_key = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly byte[] s_nonce = [.. Enumerable.Range(0x40, 24).Select(i => (byte)i)];

    public static TheoryData<GomuxFrameType, uint, uint, string, string> Golden => new()
    {
        { GomuxFrameType.Data, 3, 12, "gomux golden", GoldenDataHex },
        { GomuxFrameType.Keepalive, 0, 0, "", "000000000000000001000000404142434445464748494a4b4c4d4e4f5051525354555657ce3de14f43325023c6d24329c6271ba1" },
        { GomuxFrameType.OpenStream, 2, 0, "", "020000000000000002000000404142434445464748494a4b4c4d4e4f5051525354555657fd5b6c300938b664c1c6042d71e5b3ee" },
        { GomuxFrameType.CloseRead, 2, 0, "", "020000000000000003000000404142434445464748494a4b4c4d4e4f50515253545556575743c5cda727e4012ae29dce84f0cf40" },
        { GomuxFrameType.CloseWrite, 2, 0, "", "020000000000000004000000404142434445464748494a4b4c4d4e4f5051525354555657b62a1e6b4617129f92fd367098fbeb92" },
        { GomuxFrameType.CloseStream, 2, 0, "", "020000000000000005000000404142434445464748494a4b4c4d4e4f505152535455565710127708e506403cfb18d011ac0608e5" },
        { GomuxFrameType.WindowUpdate, 2, 65_536, "", "020000000000010006000000404142434445464748494a4b4c4d4e4f5051525354555657c3966e95b193d6f4fcd57cbedb636d23" },
        { GomuxFrameType.CloseMux, 0, 0, "", "000000000000000007000000404142434445464748494a4b4c4d4e4f5051525354555657f4a9f6fffacf63d23977daf23b6ac38d" },
    };

    [Theory]
    [MemberData(nameof(Golden))]
    public void WriteFrame_FixedKeyAndNonce_EqualsGoldenBytes(GomuxFrameType type, uint id, uint length, string text, string hex)
    {
        using var codec = new GomuxFrameCodec(s_key);
        var writer = new ArrayBufferWriter<byte>();
        codec.WriteFrame(writer, id, type, length, System.Text.Encoding.UTF8.GetBytes(text), s_nonce);
        Assert.Equal(hex, Convert.ToHexStringLower(writer.WrittenSpan));
    }

    [Theory]
    [MemberData(nameof(Golden))]
    public void TryReadFrame_GoldenBytes_DecodesToTheFrame(GomuxFrameType type, uint id, uint length, string text, string hex)
    {
        using var codec = new GomuxFrameCodec(s_key);
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(hex));
        byte[] payload = new byte[GomuxConstants.MaxLength];
        Assert.True(codec.TryReadFrame(ref buffer, payload, out GomuxHeader header, out int n));
        Assert.Equal(new GomuxHeader(id, length, type, new GomuxNonce(s_nonce)), header);
        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(payload, 0, n));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void TryReadFrame_GoldenDataFrameAnyByteFlipped_ThrowsNeverDecodes()
    {
        byte[] frame = Convert.FromHexString(GoldenDataHex);
        using var codec = new GomuxFrameCodec(s_key);
        foreach (byte flip in new byte[] { 0x01, 0x80, 0xFF })
        {
            for (int i = 0; i < frame.Length; i++)
            {
                byte[] tampered = [.. frame, .. new byte[GomuxConstants.MaxFrameSize]];
                tampered[i] ^= flip;
                var buffer = new ReadOnlySequence<byte>(tampered);
                Assert.Throws<GomuxFormatException>(() => codec.TryReadFrame(ref buffer, new byte[GomuxConstants.MaxLength], out _, out _));
            }
        }
    }

    [Theory]
    [InlineData(GomuxFrameType.Data)]
    [InlineData(GomuxFrameType.Keepalive)]
    [InlineData(GomuxFrameType.OpenStream)]
    [InlineData(GomuxFrameType.CloseRead)]
    [InlineData(GomuxFrameType.CloseWrite)]
    [InlineData(GomuxFrameType.CloseStream)]
    [InlineData(GomuxFrameType.WindowUpdate)]
    [InlineData(GomuxFrameType.CloseMux)]
    public void TryReadFrame_LengthOverMaxOnAnyType_ThrowsWithOnlyTheHeaderBuffered(GomuxFrameType type)
    {
        using var codec = new GomuxFrameCodec(s_key);
        var buffer = new ReadOnlySequence<byte>(RawHeader(5, GomuxConstants.MaxLength + 1, (uint)type));
        var error = Assert.Throws<GomuxFormatException>(() => codec.TryReadFrame(ref buffer, new byte[GomuxConstants.MaxLength], out _, out _));
        Assert.Equal($"frame length 65537 exceeds the maximum of 65536 (flags {(uint)type}, stream 5)", error.Message);
        Assert.Equal(GomuxConstants.HeaderSize, buffer.Length);
    }

    [Fact]
    public void TryReadFrame_MaxLengthDataHeaderOnly_NeedsMoreData()
    {
        using var codec = new GomuxFrameCodec(s_key);
        var buffer = new ReadOnlySequence<byte>(RawHeader(0, GomuxConstants.MaxLength, (uint)GomuxFrameType.Data));
        Assert.False(codec.TryReadFrame(ref buffer, new byte[GomuxConstants.MaxLength], out _, out _));
        Assert.Equal(GomuxConstants.HeaderSize, buffer.Length);
    }

    [Theory]
    [InlineData(8u)]
    [InlineData(0x100u)]
    [InlineData(uint.MaxValue)]
    public void TryReadFrame_UnknownFlags_ThrowsUnknownType(uint flags)
    {
        using var codec = new GomuxFrameCodec(s_key);
        var buffer = new ReadOnlySequence<byte>(RawHeader(1, 0, flags));
        var error = Assert.Throws<GomuxFormatException>(() => codec.TryReadFrame(ref buffer, new byte[GomuxConstants.MaxLength], out _, out _));
        Assert.Equal($"unknown frame type {flags} on stream 1", error.Message);
    }

    [Theory]
    [InlineData(GomuxFrameType.Keepalive)]
    [InlineData(GomuxFrameType.OpenStream)]
    [InlineData(GomuxFrameType.CloseRead)]
    [InlineData(GomuxFrameType.CloseWrite)]
    [InlineData(GomuxFrameType.CloseStream)]
    [InlineData(GomuxFrameType.CloseMux)]
    public void TryReadFrame_LengthOnTypeWithoutOne_ThrowsBeforeTheTag(GomuxFrameType type)
    {
        using var codec = new GomuxFrameCodec(s_key);
        var buffer = new ReadOnlySequence<byte>(RawHeader(2, 1, (uint)type));
        var error = Assert.Throws<GomuxFormatException>(() => codec.TryReadFrame(ref buffer, new byte[GomuxConstants.MaxLength], out _, out _));
        Assert.Equal($"{type} frame on stream 2 has length 1; only Data and WindowUpdate frames carry a length", error.Message);
    }

    [Fact]
    public void TryReadFrame_FourRefusals_HaveDistinctMessages()
    {
        using var codec = new GomuxFrameCodec(s_key);
        byte[] authFails = Convert.FromHexString(GoldenDataHex);
        authFails[^1] ^= 1;
        string[] messages =
        [
            Message(codec, RawHeader(0, GomuxConstants.MaxLength + 1, 0)),
            Message(codec, RawHeader(0, 0, 8)),
            Message(codec, RawHeader(0, 1, (uint)GomuxFrameType.OpenStream)),
            Message(codec, authFails),
        ];
        Assert.Equal(messages.Length, messages.Distinct().Count());
        Assert.Equal("frame authentication failed: wrong pre-shared key or tampered frame", messages[3]);
    }

    [Fact]
    public void TryReadFrame_PayloadSpanTooSmall_ThrowsArgumentAndConsumesNothing()
    {
        using var codec = new GomuxFrameCodec(s_key);
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(GoldenDataHex));
        Assert.Throws<ArgumentException>(() => codec.TryReadFrame(ref buffer, new byte[11], out _, out _));
        Assert.Equal(64, buffer.Length);
    }

    [Fact]
    public void WriteFrame_InvalidFrames_ThrowAndWriteNothing()
    {
        using var codec = new GomuxFrameCodec(s_key);
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentOutOfRangeException>(() => codec.WriteFrame(writer, 0, GomuxFrameType.WindowUpdate, GomuxConstants.MaxLength + 1, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => codec.WriteFrame(writer, 0, GomuxFrameType.Data, GomuxConstants.MaxLength + 1, new byte[GomuxConstants.MaxLength + 1]));
        Assert.Throws<ArgumentException>(() => codec.WriteFrame(writer, 0, GomuxFrameType.Data, 3, new byte[2]));
        Assert.Throws<ArgumentException>(() => codec.WriteFrame(writer, 0, GomuxFrameType.OpenStream, 0, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => codec.WriteFrame(writer, 0, GomuxFrameType.CloseStream, 1, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => codec.WriteFrame(writer, 0, (GomuxFrameType)8, 0, default));
        Assert.Throws<ArgumentException>(() => codec.WriteFrame(writer, 0, GomuxFrameType.Keepalive, 0, default, new byte[23]));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void WriteFrame_NoNonceGiven_DrawsAFreshRandomNoncePerFrame()
    {
        using var codec = new GomuxFrameCodec(s_key);
        var writer = new ArrayBufferWriter<byte>();
        codec.WriteFrame(writer, 4, GomuxFrameType.Data, 3, "abc"u8);
        codec.WriteFrame(writer, 4, GomuxFrameType.Data, 3, "abc"u8);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        byte[] payload = new byte[GomuxConstants.MaxLength];
        Assert.True(codec.TryReadFrame(ref buffer, payload, out GomuxHeader first, out _));
        Assert.True(codec.TryReadFrame(ref buffer, payload, out GomuxHeader second, out int n));
        Assert.Equal("abc"u8.ToArray(), payload[..n]);
        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(65_536, 1)]
    [InlineData(65_537, 2)]
    [InlineData(200_000, 4)]
    public void WriteData_AnySize_SplitsIntoFramesGomuxAccepts(int size, int expectedFrames)
    {
        byte[] data = [.. Enumerable.Range(0, size).Select(i => (byte)((i * 7 + 3) % 251))];
        using var codec = new GomuxFrameCodec(s_key);
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(expectedFrames, codec.WriteData(writer, 2, data));
        List<DecodedFrame> frames = GomuxFeed.ReadWhole(codec, writer.WrittenSpan.ToArray());
        Assert.Equal(expectedFrames, frames.Count);
        Assert.All(frames, f => Assert.Equal((GomuxFrameType.Data, 2u), (f.Header.Type, f.Header.StreamId)));
        Assert.All(frames, f => Assert.InRange(f.Header.Length, 1u, (uint)GomuxConstants.MaxLength));
        Assert.Equal(data, frames.SelectMany(f => f.Payload).ToArray());
    }

    [Theory]
    [InlineData(0L, 0)]
    [InlineData(17L, 1)]
    [InlineData(65_536L, 1)]
    [InlineData(131_072L, 2)]
    [InlineData(131_073L, 3)]
    [InlineData(4_294_967_296L, 65_536)]
    public void WriteWindowUpdate_AnyCredit_SplitsIntoFramesOfAtMostMaxLength(long credit, int expectedFrames)
    {
        using var codec = new GomuxFrameCodec(s_key);
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(expectedFrames, codec.WriteWindowUpdate(writer, 1, credit));
        List<DecodedFrame> frames = GomuxFeed.ReadWhole(codec, writer.WrittenSpan.ToArray());
        Assert.Equal(expectedFrames, frames.Count);
        Assert.All(frames, f => Assert.Equal((GomuxFrameType.WindowUpdate, 1u), (f.Header.Type, f.Header.StreamId)));
        Assert.All(frames, f => Assert.InRange(f.Header.Length, 1u, (uint)GomuxConstants.MaxLength));
        Assert.Equal(credit, frames.Sum(f => (long)f.Header.Length));
    }

    [Fact]
    public void WriteWindowUpdate_NegativeCredit_Throws()
    {
        using var codec = new GomuxFrameCodec(s_key);
        Assert.Throws<ArgumentOutOfRangeException>(() => codec.WriteWindowUpdate(new ArrayBufferWriter<byte>(), 1, -1));
    }

    [Fact]
    public void Constructor_KeyNot32Bytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GomuxFrameCodec(new byte[31]));
        Assert.Throws<ArgumentNullException>(() => new GomuxFrameCodec((string)null!));
    }

    [Fact]
    public void Dispose_ThenWrite_ThrowsObjectDisposed()
    {
        var codec = new GomuxFrameCodec(s_key);
        codec.Dispose();
        Assert.Throws<ObjectDisposedException>(() => codec.WriteFrame(new ArrayBufferWriter<byte>(), 0, GomuxFrameType.Keepalive, 0, default));
    }

    private static string Message(GomuxFrameCodec codec, byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>([.. bytes, .. new byte[GomuxConstants.MaxFrameSize]]);
        return Assert.Throws<GomuxFormatException>(() => codec.TryReadFrame(ref buffer, new byte[GomuxConstants.MaxLength], out _, out _)).Message;
    }

    private static byte[] RawHeader(uint id, uint length, uint flags)
    {
        byte[] raw = new byte[GomuxConstants.HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(raw, id);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(4), length);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(8), flags);
        s_nonce.CopyTo(raw, GomuxConstants.NonceOffset);
        return raw;
    }
}
