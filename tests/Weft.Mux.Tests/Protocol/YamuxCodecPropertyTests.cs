using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Protocol;

/// <summary>FsCheck round-trip properties of <see cref="YamuxCodec"/> (DESIGN "Testing and measuring": codec property tests).</summary>
public sealed class YamuxCodecPropertyTests
{
    [Fact]
    public void WriteHeader_AnyHeader_DecodesToSameHeader()
    {
        Check.One(YamuxGen.Config, Prop.ForAll(YamuxGen.Header.ToArbitrary(), (YamuxHeader header) =>
        {
            byte[] raw = new byte[YamuxConstants.HeaderSize];
            YamuxCodec.WriteHeader(raw, header);
            Assert.Equal(YamuxConstants.Version, raw[0]);
            Assert.Equal((byte)header.Type, raw[1]);
            Assert.Equal(header, YamuxCodec.DecodeHeader(raw));
        }));
    }

    [Fact]
    public void WriteHeader_AnyHeader_WritesExactlyTwelveBytes()
    {
        Check.One(YamuxGen.Config, Prop.ForAll(YamuxGen.Header.ToArbitrary(), (YamuxHeader header) =>
        {
            byte[] raw = new byte[YamuxConstants.HeaderSize + 4];
            raw.AsSpan().Fill(0xEE);
            YamuxCodec.WriteHeader(raw, header);
            Assert.All(raw[YamuxConstants.HeaderSize..], b => Assert.Equal(0xEE, b));
        }));
    }

    [Fact]
    public void TryReadFrame_AnyFrameSplitAnywhere_ReadsBackAndConsumesExactlyTheFrame()
    {
        var cases =
            from frame in YamuxGen.Frame
            from trailing in YamuxGen.Bytes(40)
            from cuts in YamuxGen.CutFractions
            select (frame.Header, frame.Payload, trailing, cuts);
        Check.One(YamuxGen.Config, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            byte[] frameBytes = Write(c.Header, c.Payload);
            byte[] all = [.. frameBytes, .. c.trailing];
            ReadOnlySequence<byte> original = SegmentedSequence.Create(all, YamuxGen.Scale(c.cuts, all.Length));
            ReadOnlySequence<byte> buffer = original;

            Assert.True(YamuxCodec.TryReadFrame(ref buffer, uint.MaxValue, out YamuxHeader header, out ReadOnlySequence<byte> payload));
            Assert.Equal(c.Header, header);
            Assert.Equal(c.Payload, payload.ToArray());
            Assert.Equal(original.GetPosition(frameBytes.Length), buffer.Start);
            Assert.Equal(c.trailing, buffer.ToArray());
        }));
    }

    [Fact]
    public void TryReadFrame_BufferShorterThanFrame_ReturnsFalseAndConsumesNothing()
    {
        var cases =
            from frame in YamuxGen.Frame
            from fraction in Gen.Choose(0, 9_999)
            from cuts in YamuxGen.CutFractions
            select (frame.Header, frame.Payload, fraction, cuts);
        Check.One(YamuxGen.Config, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            byte[] frameBytes = Write(c.Header, c.Payload);
            int prefix = (int)((long)c.fraction * frameBytes.Length / 10_000);
            Assert.InRange(prefix, 0, frameBytes.Length - 1);
            byte[] partial = frameBytes[..prefix];
            ReadOnlySequence<byte> original = SegmentedSequence.Create(partial, YamuxGen.Scale(c.cuts, partial.Length));
            ReadOnlySequence<byte> buffer = original;

            Assert.False(YamuxCodec.TryReadFrame(ref buffer, uint.MaxValue, out _, out ReadOnlySequence<byte> payload));
            Assert.Equal(original.Start, buffer.Start);
            Assert.Equal(original.Length, buffer.Length);
            Assert.True(payload.IsEmpty);
        }));
    }

    [Fact]
    public void TryReadFrame_ManyFramesBackToBackSplitAnywhere_ReadsThemAllInOrder()
    {
        var cases =
            from n in Gen.Choose(1, 12)
            from frames in Gen.ArrayOf(YamuxGen.Frame, n)
            from cuts in YamuxGen.CutFractions
            select (frames, cuts);
        Check.One(YamuxGen.Config.WithMaxTest(200), Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var writer = new ArrayBufferWriter<byte>();
            foreach (var (header, payload) in c.frames)
            {
                YamuxCodec.WriteFrame(writer, header, payload);
            }

            byte[] all = writer.WrittenSpan.ToArray();
            ReadOnlySequence<byte> buffer = SegmentedSequence.Create(all, YamuxGen.Scale(c.cuts, all.Length));
            foreach (var (expectedHeader, expectedPayload) in c.frames)
            {
                Assert.True(YamuxCodec.TryReadFrame(ref buffer, uint.MaxValue, out YamuxHeader header, out ReadOnlySequence<byte> payload));
                Assert.Equal(expectedHeader, header);
                Assert.Equal(expectedPayload, payload.ToArray());
            }

            Assert.Equal(0, buffer.Length);
            Assert.False(YamuxCodec.TryReadFrame(ref buffer, uint.MaxValue, out _, out _));
        }));
    }

    [Fact]
    public void TryReadHeader_AnyFrameSplitAnywhere_DecodesWithoutConsuming()
    {
        var cases =
            from frame in YamuxGen.Frame
            from cuts in YamuxGen.CutFractions
            select (frame.Header, frame.Payload, cuts);
        Check.One(YamuxGen.Config, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            byte[] frameBytes = Write(c.Header, c.Payload);
            ReadOnlySequence<byte> buffer = SegmentedSequence.Create(frameBytes, YamuxGen.Scale(c.cuts, frameBytes.Length));
            Assert.True(YamuxCodec.TryReadHeader(buffer, out YamuxHeader header));
            Assert.Equal(c.Header, header);
            Assert.Equal(frameBytes.Length, buffer.Length);
        }));
    }

    [Fact]
    public void TryReadFrame_AnyBytesShorterThanHeader_ReturnsFalseWithoutValidating()
    {
        // Fewer than 12 bytes cannot be judged yet, not even a bad version byte: the codec waits.
        Check.One(YamuxGen.Config, Prop.ForAll(YamuxGen.Bytes(YamuxConstants.HeaderSize - 1).ToArbitrary(), (byte[] bytes) =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            Assert.False(YamuxCodec.TryReadFrame(ref buffer, 0, out _, out _));
            Assert.Equal(bytes.Length, buffer.Length);
            Assert.False(YamuxCodec.TryReadHeader(buffer, out _));
        }));
    }

    [Fact]
    public void TryReadFrame_DataLengthWithinMax_WaitsForPayloadThenReads()
    {
        var cases =
            from max in Gen.Choose(0, 4096)
            from length in Gen.Choose(0, max)
            from id in YamuxGen.UInt32
            select (max: (uint)max, length, id);
        Check.One(YamuxGen.Config.WithMaxTest(200), Prop.ForAll(cases.ToArbitrary(), c =>
        {
            byte[] frame = Write(new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, c.id, (uint)c.length), new byte[c.length]);
            var headerOnly = new ReadOnlySequence<byte>(frame, 0, YamuxConstants.HeaderSize);
            Assert.Equal(c.length == 0, YamuxCodec.TryReadFrame(ref headerOnly, c.max, out _, out _));
            var whole = new ReadOnlySequence<byte>(frame);
            Assert.True(YamuxCodec.TryReadFrame(ref whole, c.max, out _, out ReadOnlySequence<byte> payload));
            Assert.Equal(c.length, payload.Length);
        }));
    }

    private static byte[] Write(in YamuxHeader header, byte[] payload)
    {
        var writer = new ArrayBufferWriter<byte>();
        YamuxCodec.WriteFrame(writer, header, payload);
        return writer.WrittenSpan.ToArray();
    }
}
