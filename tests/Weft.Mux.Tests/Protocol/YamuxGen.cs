using FsCheck;
using FsCheck.Fluent;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Protocol;

/// <summary>FsCheck generators for yamux headers and frames.</summary>
internal static class YamuxGen
{
    /// <summary>Property-run settings: enough cases to matter, few enough for a 2-core machine.</summary>
    public static Config Config { get; } = Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true);

    public static Gen<byte> Byte { get; } = Gen.Choose(0, 255).Select(b => (byte)b);

    /// <summary>Any u32, with the edges (0, 1, 2^31 - 1, 2^31, 2^32 - 1) drawn often.</summary>
    public static Gen<uint> UInt32 { get; } = Gen.Frequency(
        (4, Gen.Zip(Gen.Choose(0, 0xFFFF), Gen.Choose(0, 0xFFFF), (high, low) => ((uint)high << 16) | (uint)low)),
        (1, Gen.Elements(0u, 1u, 2u, 0x7FFF_FFFFu, 0x8000_0000u, uint.MaxValue - 1, uint.MaxValue)));

    public static Gen<YamuxFrameType> FrameType { get; } =
        Gen.Elements(YamuxFrameType.Data, YamuxFrameType.WindowUpdate, YamuxFrameType.Ping, YamuxFrameType.GoAway);

    /// <summary>Any 16-bit flag word, not only the four defined bits: the codec must carry unknown bits unchanged.</summary>
    public static Gen<YamuxFlags> Flags { get; } = Gen.Frequency(
        (3, Gen.Choose(0, 15).Select(f => (YamuxFlags)f)),
        (1, Gen.Choose(0, 0xFFFF).Select(f => (YamuxFlags)f)));

    public static Gen<YamuxHeader> Header { get; } =
        from type in FrameType
        from flags in Flags
        from id in UInt32
        from length in UInt32
        select new YamuxHeader(type, flags, id, length);

    public static Gen<byte[]> Bytes(int maxLength) =>
        from n in Gen.Choose(0, maxLength)
        from bytes in Gen.ArrayOf(Byte, n)
        select bytes;

    /// <summary>A whole frame: Data frames get a real payload (so their length is small), other types any length.</summary>
    public static Gen<(YamuxHeader Header, byte[] Payload)> Frame { get; } =
        from header in Header
        from payload in header.Type == YamuxFrameType.Data ? Bytes(300) : Gen.Constant(Array.Empty<byte>())
        select (header.Type == YamuxFrameType.Data ? header with { Length = (uint)payload.Length } : header, payload);

    /// <summary>Up to eight cut positions as fractions (per ten thousand) of whatever buffer they will split.</summary>
    public static Gen<int[]> CutFractions { get; } =
        from n in Gen.Choose(0, 8)
        from cuts in Gen.ArrayOf(Gen.Choose(0, 10_000), n)
        select cuts;

    public static IEnumerable<int> Scale(int[] fractions, int length) => fractions.Select(f => (int)((long)f * length / 10_000));
}
