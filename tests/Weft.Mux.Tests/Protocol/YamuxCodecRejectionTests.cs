using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Protocol;

/// <summary>Malformed headers are rejected with <see cref="YamuxFormatException"/> as soon as the header is buffered.</summary>
public sealed class YamuxCodecRejectionTests
{
    [Fact]
    public void DecodeHeader_AnyVersionButZero_Throws()
    {
        for (int version = 1; version <= byte.MaxValue; version++)
        {
            byte[] raw = Header(version, type: 0);
            Assert.Throws<YamuxFormatException>(() => YamuxCodec.DecodeHeader(raw));
        }
    }

    [Fact]
    public void TryReadFrame_BadVersionHeaderOnly_ThrowsBeforePayload()
    {
        for (int version = 1; version <= byte.MaxValue; version++)
        {
            var buffer = new ReadOnlySequence<byte>(Header(version, type: 0, length: 100));
            Assert.Throws<YamuxFormatException>(() => YamuxCodec.TryReadFrame(ref buffer, uint.MaxValue, out _, out _));
            Assert.Throws<YamuxFormatException>(() => YamuxCodec.TryReadHeader(buffer, out _));
        }
    }

    [Fact]
    public void DecodeHeader_UnknownType4To255_Throws()
    {
        for (int type = 4; type <= byte.MaxValue; type++)
        {
            byte[] raw = Header(version: 0, type);
            Assert.Throws<YamuxFormatException>(() => YamuxCodec.DecodeHeader(raw));
            var buffer = new ReadOnlySequence<byte>(raw);
            Assert.Throws<YamuxFormatException>(() => YamuxCodec.TryReadFrame(ref buffer, uint.MaxValue, out _, out _));
        }
    }

    [Fact]
    public void DecodeHeader_KnownTypes0To3_Accepted()
    {
        for (int type = 0; type <= 3; type++)
        {
            Assert.Equal((YamuxFrameType)type, YamuxCodec.DecodeHeader(Header(version: 0, type)).Type);
        }
    }

    [Theory]
    [InlineData(0u, 1u)]
    [InlineData(1024u, 1025u)]
    [InlineData(262_144u, 262_145u)]
    [InlineData(16u * 1024 * 1024, uint.MaxValue)]
    public void TryReadFrame_DataLengthOverMaxHeaderOnly_ThrowsBeforePayload(uint max, uint length)
    {
        var buffer = new ReadOnlySequence<byte>(Header(version: 0, type: 0, streamId: 1, length: length));
        Assert.Throws<YamuxFormatException>(() => YamuxCodec.TryReadFrame(ref buffer, max, out _, out _));
    }

    [Fact]
    public void TryReadFrame_AnyDataLengthOverMaxHeaderOnly_Throws()
    {
        var cases =
            from max in YamuxGen.UInt32.Where(m => m < uint.MaxValue)
            from excess in YamuxGen.UInt32
            from split in Gen.Choose(0, YamuxConstants.HeaderSize)
            select (max, length: max + 1 + (excess % (uint.MaxValue - max)), split);
        Check.One(YamuxGen.Config, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            Assert.True(c.length > c.max);
            byte[] header = Header(version: 0, type: 0, streamId: 3, length: c.length);
            ReadOnlySequence<byte> buffer = SegmentedSequence.Create(header, [c.split]);
            Assert.Throws<YamuxFormatException>(() => YamuxCodec.TryReadFrame(ref buffer, c.max, out _, out _));
        }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryReadFrame_NonDataHugeLength_NotLimitedByMaxData(int type)
    {
        // WindowUpdate credit, Ping value and GoAway code live in the length field but carry no payload.
        var buffer = new ReadOnlySequence<byte>(Header(version: 0, type, streamId: 0, length: uint.MaxValue));
        Assert.True(YamuxCodec.TryReadFrame(ref buffer, maxDataLength: 0, out YamuxHeader header, out ReadOnlySequence<byte> payload));
        Assert.Equal(uint.MaxValue, header.Length);
        Assert.True(payload.IsEmpty);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void WriteFrame_PayloadLengthMismatch_Throws()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => YamuxCodec.WriteFrame(writer, new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, 1, 5), new byte[4]));
        Assert.Throws<ArgumentException>(() => YamuxCodec.WriteFrame(writer, new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, 1, 5), new byte[5]));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void WriteFrame_NullWriter_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => YamuxCodec.WriteFrame(null!, new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Syn, 0, 1)));
    }

    private static byte[] Header(int version, int type, uint streamId = 1, uint length = 0)
    {
        byte[] raw = new byte[YamuxConstants.HeaderSize];
        raw[0] = (byte)version;
        raw[1] = (byte)type;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(4), streamId);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(8), length);
        return raw;
    }
}
