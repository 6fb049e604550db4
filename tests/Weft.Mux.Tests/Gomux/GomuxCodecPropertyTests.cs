using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Weft.Mux.Protocol;
using Weft.Mux.Tests.Protocol;

namespace Weft.Mux.Tests.Gomux;

/// <summary>FsCheck properties of <see cref="GomuxFrameCodec"/>: round trip, tampering, truncation.</summary>
public sealed class GomuxCodecPropertyTests
{
    private static readonly byte[] s_key = [.. Enumerable.Range(100, 32).Select(i => (byte)i)];

    private static Config Config { get; } = Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true);

    private static Gen<byte> Byte { get; } = Gen.Choose(0, 255).Select(b => (byte)b);

    private static Gen<uint> StreamId { get; } = Gen.Frequency(
        (4, Gen.Zip(Gen.Choose(0, 0xFFFF), Gen.Choose(0, 0xFFFF), (high, low) => ((uint)high << 16) | (uint)low)),
        (1, Gen.Elements(0u, 1u, 2u, uint.MaxValue)));

    private static Gen<byte[]> Bytes(int maxLength) =>
        from n in Gen.Choose(0, maxLength)
        from bytes in Gen.ArrayOf(Byte, n)
        select bytes;

    /// <summary>A valid frame: Data gets a real payload (rarely a maximal one), WindowUpdate any credit up to the maximum.</summary>
    private static Gen<Frame> AnyFrame { get; } =
        from type in Gen.Choose(0, 7).Select(t => (GomuxFrameType)t)
        from id in StreamId
        from payload in type == GomuxFrameType.Data
            ? Gen.Frequency((20, Bytes(300)), (1, Gen.ArrayOf(Byte, GomuxConstants.MaxLength)))
            : Gen.Constant(Array.Empty<byte>())
        from credit in Gen.Frequency((3, Gen.Choose(0, GomuxConstants.MaxLength)), (1, Gen.Elements(0, 1, GomuxConstants.MaxLength)))
        from nonce in Gen.ArrayOf(Byte, GomuxConstants.NonceSize)
        select new Frame(
            id,
            type,
            type switch
            {
                GomuxFrameType.Data => (uint)payload.Length,
                GomuxFrameType.WindowUpdate => (uint)credit,
                _ => 0u,
            },
            payload,
            nonce);

    /// <summary>Up to eight cut positions as fractions (per ten thousand) of whatever buffer they split.</summary>
    private static Gen<int[]> Cuts { get; } =
        from n in Gen.Choose(0, 8)
        from cuts in Gen.ArrayOf(Gen.Choose(0, 10_000), n)
        select cuts;

    [Fact]
    public Task TryReadFrame_AnyFrameSplitAnywhere_RoundTripsAndConsumesExactlyTheFrame() =>
        GomuxTimed.RunAsync(() =>
        {
            using var codec = new GomuxFrameCodec(s_key);
            var cases =
                from frame in AnyFrame
                from trailing in Bytes(60)
                from cuts in Cuts
                from viaWriter in Gen.Elements(false, true)
                select (frame, trailing, cuts, viaWriter);
            Check.One(Config, Prop.ForAll(cases.ToArbitrary(), c =>
            {
                byte[] wire = Seal(codec, c.frame);
                Assert.Equal(GomuxCodec.WireLength(c.frame.Type, c.frame.Length), wire.Length);
                byte[] all = [.. wire, .. c.trailing];
                ReadOnlySequence<byte> original = SegmentedSequence.Create(all, Scale(c.cuts, all.Length));
                ReadOnlySequence<byte> buffer = original;

                GomuxHeader header;
                byte[] payload;
                if (c.viaWriter)
                {
                    var writer = new ArrayBufferWriter<byte>();
                    Assert.True(codec.TryReadFrame(ref buffer, writer, out header));
                    payload = writer.WrittenSpan.ToArray();
                }
                else
                {
                    byte[] destination = new byte[GomuxConstants.MaxLength];
                    Assert.True(codec.TryReadFrame(ref buffer, destination, out header, out int n));
                    payload = destination[..n];
                }

                Assert.Equal(new GomuxHeader(c.frame.Id, c.frame.Length, c.frame.Type, new GomuxNonce(c.frame.Nonce)), header);
                Assert.Equal(c.frame.Payload, payload);
                Assert.Equal(original.GetPosition(wire.Length), buffer.Start);
                Assert.Equal(c.trailing, buffer.ToArray());
            }));
        });

    [Fact]
    public Task TryReadFrame_AnySingleByteTampered_ThrowsFormatErrorNeverDecodes() =>
        GomuxTimed.RunAsync(() =>
        {
            using var codec = new GomuxFrameCodec(s_key);
            var cases =
                from frame in AnyFrame
                from position in Gen.Choose(0, 9_999)
                from flip in Gen.Choose(1, 255)
                from cuts in Cuts
                select (frame, position, flip, cuts);
            Check.One(Config, Prop.ForAll(cases.ToArbitrary(), c =>
            {
                byte[] wire = Seal(codec, c.frame);
                int index = (int)((long)c.position * wire.Length / 10_000);

                // Pad with a maximal frame's worth of bytes, so a tampered length can never leave the reader merely
                // waiting: every outcome must be a refusal, never a false and never a decoded frame.
                byte[] all = [.. wire, .. new byte[GomuxConstants.MaxFrameSize]];
                all[index] ^= (byte)c.flip;
                ReadOnlySequence<byte> buffer = SegmentedSequence.Create(all, Scale(c.cuts, all.Length));
                Assert.Throws<GomuxFormatException>(() => codec.TryReadFrame(ref buffer, new byte[GomuxConstants.MaxLength], out _, out _));
            }));
        });

    [Fact]
    public Task TryReadFrame_EveryTruncation_ReturnsFalseAndConsumesNothing() =>
        GomuxTimed.RunAsync(() =>
        {
            using var codec = new GomuxFrameCodec(s_key);
            var cases =
                from frame in AnyFrame
                from cuts in Cuts
                select (frame, cuts);
            Check.One(Config.WithMaxTest(100), Prop.ForAll(cases.ToArbitrary(), c =>
            {
                byte[] wire = Seal(codec, c.frame);
                byte[] payload = new byte[GomuxConstants.MaxLength];
                int step = wire.Length > 1_000 ? 97 : 1;
                for (int prefix = 0; prefix < wire.Length; prefix += step)
                {
                    byte[] partial = wire[..prefix];
                    ReadOnlySequence<byte> original = SegmentedSequence.Create(partial, Scale(c.cuts, partial.Length));
                    ReadOnlySequence<byte> buffer = original;
                    Assert.False(codec.TryReadFrame(ref buffer, payload, out _, out int n));
                    Assert.Equal(0, n);
                    Assert.Equal(original.Start, buffer.Start);
                    Assert.Equal(original.Length, buffer.Length);
                }

                // The last byte missing is the classic off-by-one: always test it.
                var almost = new ReadOnlySequence<byte>(wire, 0, wire.Length - 1);
                Assert.False(codec.TryReadFrame(ref almost, payload, out _, out _));
            }));
        });

    [Fact]
    public Task TryReadFrame_WrongKey_AlwaysFailsAuthentication() =>
        GomuxTimed.RunAsync(() =>
        {
            using var codec = new GomuxFrameCodec(s_key);
            var cases =
                from frame in AnyFrame
                from key in Gen.ArrayOf(Byte, GomuxConstants.KeySize)
                where !key.AsSpan().SequenceEqual(s_key)
                select (frame, key);
            Check.One(Config, Prop.ForAll(cases.ToArbitrary(), c =>
            {
                using var other = new GomuxFrameCodec(c.key);
                var buffer = new ReadOnlySequence<byte>(Seal(codec, c.frame));
                var error = Assert.Throws<GomuxFormatException>(() => other.TryReadFrame(ref buffer, new byte[GomuxConstants.MaxLength], out _, out _));
                Assert.StartsWith("frame authentication failed", error.Message, StringComparison.Ordinal);
            }));
        });

    private static byte[] Seal(GomuxFrameCodec codec, Frame frame)
    {
        var writer = new ArrayBufferWriter<byte>();
        codec.WriteFrame(writer, frame.Id, frame.Type, frame.Length, frame.Payload, frame.Nonce);
        return writer.WrittenSpan.ToArray();
    }

    private static IEnumerable<int> Scale(int[] fractions, int length) => fractions.Select(f => (int)((long)f * length / 10_000));

    private sealed record Frame(uint Id, GomuxFrameType Type, uint Length, byte[] Payload, byte[] Nonce)
    {
        public override string ToString() => $"{Type}(id={Id}, length={Length}, nonce={Convert.ToHexStringLower(Nonce)})";
    }
}
