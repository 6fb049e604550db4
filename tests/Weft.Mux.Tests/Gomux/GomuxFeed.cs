using System.Buffers;
using Weft.Mux.Protocol;
using Weft.Mux.Tests.Protocol;

namespace Weft.Mux.Tests.Gomux;

/// <summary>One frame read back from a byte stream: where it started, its header and its plaintext.</summary>
internal sealed record DecodedFrame(long Offset, GomuxHeader Header, byte[] Payload);

/// <summary>Feeds a wire capture to a codec the way a pipe would: bytes arrive in pieces and the reader keeps what it cannot use yet.</summary>
internal static class GomuxFeed
{
    /// <summary>
    /// Delivers <paramref name="wire"/> in <paramref name="arrivals"/>-sized pieces and reads every frame as soon as it
    /// is whole. With <paramref name="segmented"/> the unconsumed bytes are a multi-segment sequence cut at the arrival
    /// boundaries (and read through the <see cref="IBufferWriter{T}"/> overload); otherwise one contiguous segment.
    /// Asserts that a false return consumed nothing and that the file is consumed exactly.
    /// </summary>
    public static List<DecodedFrame> Read(GomuxFrameCodec codec, byte[] wire, IEnumerable<int> arrivals, bool segmented)
    {
        var frames = new List<DecodedFrame>();
        var boundaries = new List<int>();
        byte[] payload = new byte[GomuxConstants.MaxLength];
        var writer = new ArrayBufferWriter<byte>();
        int received = 0;
        int consumed = 0;
        foreach (int size in arrivals)
        {
            received += size;
            boundaries.Add(received);
            while (true)
            {
                ReadOnlySequence<byte> original = segmented
                    ? SegmentedSequence.Create(wire[consumed..received], boundaries.Select(b => b - consumed))
                    : new ReadOnlySequence<byte>(wire, consumed, received - consumed);
                ReadOnlySequence<byte> buffer = original;
                GomuxHeader header;
                byte[] plaintext;
                if (segmented)
                {
                    writer.ResetWrittenCount();
                    if (!codec.TryReadFrame(ref buffer, writer, out header))
                    {
                        Assert.Equal(0, writer.WrittenCount);
                        Assert.Equal(original.Length, buffer.Length);
                        break;
                    }

                    plaintext = writer.WrittenSpan.ToArray();
                }
                else
                {
                    if (!codec.TryReadFrame(ref buffer, payload, out header, out int n))
                    {
                        Assert.Equal(original.Length, buffer.Length);
                        break;
                    }

                    plaintext = payload[..n];
                }

                long used = original.Length - buffer.Length;
                Assert.Equal(header.WireLength, used);
                Assert.Equal(header.PayloadLength, plaintext.Length);
                frames.Add(new DecodedFrame(consumed, header, plaintext));
                consumed += (int)used;
            }
        }

        Assert.Equal(wire.Length, received);
        Assert.True(consumed == received, $"{received - consumed} trailing bytes were not a whole frame");
        return frames;
    }

    public static List<DecodedFrame> ReadWhole(GomuxFrameCodec codec, byte[] wire) =>
        Read(codec, wire, wire.Length == 0 ? [] : [wire.Length], segmented: false);
}
