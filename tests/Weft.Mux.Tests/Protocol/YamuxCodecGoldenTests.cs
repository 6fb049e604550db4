using System.Buffers;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Protocol;

/// <summary>
/// Golden bytes for every frame type and flag combination the yamux spec (hashicorp/yamux spec.md) uses.
/// The expected headers are written by hand from the spec: version u8 (0), type u8, flags u16 BE,
/// stream id u32 BE, length u32 BE.
/// </summary>
public sealed class YamuxCodecGoldenTests
{
    /// <summary>Header hex (spaces between fields: ver type flags id length), then the header it encodes.</summary>
    public static TheoryData<string, YamuxFrameType, YamuxFlags, uint, uint> Headers => new()
    {
        // Data: length = payload bytes (spec "Data" type). Flags may ride on Data frames too.
        { "00 00 0000 00000001 00000005", YamuxFrameType.Data, YamuxFlags.None, 1, 5 },
        { "00 00 0001 00000001 00000005", YamuxFrameType.Data, YamuxFlags.Syn, 1, 5 },
        { "00 00 0002 00000002 00000003", YamuxFrameType.Data, YamuxFlags.Ack, 2, 3 },
        { "00 00 0004 00000003 00000000", YamuxFrameType.Data, YamuxFlags.Fin, 3, 0 },
        { "00 00 0008 00000004 00000000", YamuxFrameType.Data, YamuxFlags.Rst, 4, 0 },
        { "00 00 0005 00000007 00000001", YamuxFrameType.Data, YamuxFlags.Syn | YamuxFlags.Fin, 7, 1 },
        { "00 00 0006 00000008 00000002", YamuxFrameType.Data, YamuxFlags.Ack | YamuxFlags.Fin, 8, 2 },

        // WindowUpdate: length = credit delta; SYN/ACK/FIN/RST without payload (spec "Window Update" type).
        { "00 01 0001 00000001 00000000", YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0 },
        { "00 01 0002 00000002 00000000", YamuxFrameType.WindowUpdate, YamuxFlags.Ack, 2, 0 },
        { "00 01 0000 00000003 00040000", YamuxFrameType.WindowUpdate, YamuxFlags.None, 3, 256 * 1024 },
        { "00 01 0001 00000005 00100000", YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 5, 1024 * 1024 },
        { "00 01 0004 00000009 00000000", YamuxFrameType.WindowUpdate, YamuxFlags.Fin, 9, 0 },
        { "00 01 0008 0000000a 00000000", YamuxFrameType.WindowUpdate, YamuxFlags.Rst, 10, 0 },
        { "00 01 0006 0000000b 00000000", YamuxFrameType.WindowUpdate, YamuxFlags.Ack | YamuxFlags.Fin, 11, 0 },
        { "00 01 0000 fffffffe ffffffff", YamuxFrameType.WindowUpdate, YamuxFlags.None, 0xFFFFFFFE, uint.MaxValue },

        // Ping: stream 0, length = opaque value echoed by the ACK (spec "Ping" type).
        { "00 02 0001 00000000 00000000", YamuxFrameType.Ping, YamuxFlags.Syn, 0, 0 },
        { "00 02 0001 00000000 01020304", YamuxFrameType.Ping, YamuxFlags.Syn, 0, 0x01020304 },
        { "00 02 0002 00000000 01020304", YamuxFrameType.Ping, YamuxFlags.Ack, 0, 0x01020304 },
        { "00 02 0002 00000000 ffffffff", YamuxFrameType.Ping, YamuxFlags.Ack, 0, uint.MaxValue },

        // GoAway: stream 0, length = code: 0 normal, 1 protocol error, 2 internal error (spec "Go Away" type).
        { "00 03 0000 00000000 00000000", YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)YamuxGoAwayCode.Normal },
        { "00 03 0000 00000000 00000001", YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)YamuxGoAwayCode.ProtocolError },
        { "00 03 0000 00000000 00000002", YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)YamuxGoAwayCode.InternalError },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void WriteHeader_SpecHeader_ProducesGoldenBytes(string hex, YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
    {
        byte[] actual = new byte[YamuxConstants.HeaderSize];
        YamuxCodec.WriteHeader(actual, new YamuxHeader(type, flags, streamId, length));
        Assert.Equal(Hex(hex), actual);
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void DecodeHeader_GoldenBytes_ProducesSpecHeader(string hex, YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
    {
        YamuxHeader header = YamuxCodec.DecodeHeader(Hex(hex));
        Assert.Equal(new YamuxHeader(type, flags, streamId, length), header);
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void WriteFrame_SpecFrame_ProducesGoldenBytesAndPayload(string hex, YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
    {
        var header = new YamuxHeader(type, flags, streamId, length);
        byte[] payload = [.. Enumerable.Range(0xA0, (int)header.PayloadLength).Select(i => (byte)i)];
        var writer = new ArrayBufferWriter<byte>();
        YamuxCodec.WriteFrame(writer, header, payload);
        Assert.Equal([.. Hex(hex), .. payload], writer.WrittenSpan.ToArray());
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void TryReadFrame_GoldenFrame_ReadsHeaderPayloadAndConsumesAll(string hex, YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
    {
        var expected = new YamuxHeader(type, flags, streamId, length);
        byte[] payload = [.. Enumerable.Range(0x10, (int)expected.PayloadLength).Select(i => (byte)i)];
        var buffer = new ReadOnlySequence<byte>([.. Hex(hex), .. payload]);
        Assert.True(YamuxCodec.TryReadFrame(ref buffer, maxDataLength: 1024, out YamuxHeader header, out ReadOnlySequence<byte> read));
        Assert.Equal(expected, header);
        Assert.Equal(payload, read.ToArray());
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void WriteFrame_DataStream1FiveBytes_MatchesSpecExample()
    {
        var writer = new ArrayBufferWriter<byte>();
        YamuxCodec.WriteFrame(writer, new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, 1, 5), "hello"u8);
        Assert.Equal(Hex("00 00 0000 00000001 00000005 68656c6c6f"), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteFrame_TwoFramesInSequence_AppendsBackToBack()
    {
        var writer = new ArrayBufferWriter<byte>();
        YamuxCodec.WriteFrame(writer, new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0));
        YamuxCodec.WriteFrame(writer, new YamuxHeader(YamuxFrameType.Data, YamuxFlags.Fin, 1, 2), [0xCA, 0xFE]);
        Assert.Equal(Hex("00 01 0001 00000001 00000000  00 00 0004 00000001 00000002 cafe"), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Constants_SpecValues_MatchSpec()
    {
        Assert.Equal(0, YamuxConstants.Version);
        Assert.Equal(12, YamuxConstants.HeaderSize);
        Assert.Equal(262_144, YamuxConstants.InitialStreamWindow);
        Assert.Equal(0u, YamuxConstants.SessionStreamId);
        Assert.Equal(new byte[] { 0, 1, 2, 3 }, new[] { YamuxFrameType.Data, YamuxFrameType.WindowUpdate, YamuxFrameType.Ping, YamuxFrameType.GoAway }.Select(t => (byte)t));
        Assert.Equal(new ushort[] { 1, 2, 4, 8 }, new[] { YamuxFlags.Syn, YamuxFlags.Ack, YamuxFlags.Fin, YamuxFlags.Rst }.Select(f => (ushort)f));
    }

    [Fact]
    public void PayloadLength_NonDataFrames_IsZero()
    {
        Assert.Equal(7u, new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, 1, 7).PayloadLength);
        Assert.Equal(0u, new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, 1, 7).PayloadLength);
        Assert.Equal(0u, new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Syn, 0, 7).PayloadLength);
        Assert.Equal(0u, new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, 7).PayloadLength);
    }

    internal static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
}
