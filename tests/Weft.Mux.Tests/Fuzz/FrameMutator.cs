using System.Buffers.Binary;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Fuzz;

/// <summary>
/// Random, seeded mutations of a captured frame sequence: bit flips, truncation, duplicated, swapped and
/// deleted frames, overwritten lengths, ids, flags and types, inserted garbage and frame floods.
/// </summary>
internal static class FrameMutator
{
    private static readonly uint[] s_interestingLengths =
    [
        0, 1, uint.MaxValue, uint.MaxValue - 1, 0x8000_0000, 0x7FFF_FFFF,
        YamuxConstants.InitialStreamWindow, YamuxConstants.InitialStreamWindow + 1, 16 * 1024 * 1024, (16 * 1024 * 1024) + 1,
    ];

    /// <summary>Applies one to four mutations; returns the bytes and a description for failure messages.</summary>
    public static (byte[] Bytes, string Description) Mutate(IReadOnlyList<byte[]> frames, Random random)
    {
        var chunks = frames.Select(f => (byte[])f.Clone()).ToList();
        var applied = new List<string>();
        int count = random.Next(1, 5);
        for (int i = 0; i < count && chunks.Count > 0; i++)
        {
            applied.Add(MutateOnce(chunks, frames, random));
        }

        byte[] bytes = [.. chunks.SelectMany(c => c)];
        return (bytes, string.Join("; ", applied));
    }

    private static string MutateOnce(List<byte[]> chunks, IReadOnlyList<byte[]> originals, Random random)
    {
        int index = random.Next(chunks.Count);
        byte[] chunk = chunks[index];
        switch (random.Next(12))
        {
            case 0:
                {
                    int flips = random.Next(1, 9);
                    for (int i = 0; i < flips && chunk.Length > 0; i++)
                    {
                        chunk[random.Next(chunk.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    return $"flip {flips} bits in chunk {index}";
                }

            case 1:
                {
                    int keep = random.Next(chunk.Length + 1);
                    chunks[index] = chunk[..keep];
                    chunks.RemoveRange(index + 1, chunks.Count - index - 1);
                    return $"truncate at chunk {index} byte {keep}";
                }

            case 2:
                chunks.Insert(index, (byte[])chunk.Clone());
                return $"duplicate chunk {index}";

            case 3:
                {
                    int other = random.Next(chunks.Count);
                    (chunks[index], chunks[other]) = (chunks[other], chunks[index]);
                    return $"swap chunks {index} and {other}";
                }

            case 4:
                chunks.RemoveAt(index);
                return $"delete chunk {index}";

            case 5 when chunk.Length >= YamuxConstants.HeaderSize:
                {
                    uint length = random.Next(3) == 0 ? (uint)random.NextInt64(0, 1L << 32) : s_interestingLengths[random.Next(s_interestingLengths.Length)];
                    BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8), length);
                    return $"length of chunk {index} = {length}";
                }

            case 6:
                {
                    byte[] garbage = new byte[random.Next(1, 65)];
                    random.NextBytes(garbage);
                    chunks.Insert(index, garbage);
                    return $"insert {garbage.Length} garbage bytes before chunk {index}";
                }

            case 7 when chunk.Length >= YamuxConstants.HeaderSize:
                {
                    uint id = BinaryPrimitives.ReadUInt32BigEndian(chunk.AsSpan(4));
                    uint newId = random.Next(5) switch
                    {
                        0 => 0,
                        1 => id ^ 1,
                        2 => uint.MaxValue,
                        3 => id + 2,
                        _ => (uint)random.NextInt64(0, 1L << 32),
                    };
                    BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(4), newId);
                    return $"stream id of chunk {index} = {newId}";
                }

            case 8 when chunk.Length >= YamuxConstants.HeaderSize:
                {
                    ushort flags = (ushort)(random.Next(4) == 0 ? random.Next(0x10000) : random.Next(16));
                    BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(2), flags);
                    return $"flags of chunk {index} = {flags:x}";
                }

            case 9 when chunk.Length >= YamuxConstants.HeaderSize:
                {
                    byte type = (byte)(random.Next(3) == 0 ? random.Next(256) : random.Next(4));
                    chunk[1] = type;
                    return $"type of chunk {index} = {type}";
                }

            case 10:
                {
                    // A flood of one frame: many SYNs, pings or window updates in a row.
                    int times = chunk.Length <= 64 ? random.Next(100, 3000) : random.Next(2, 8);
                    chunks.InsertRange(index, Enumerable.Repeat(chunk, times).Select(c => (byte[])c.Clone()));
                    return $"repeat chunk {index} {times} times";
                }

            default:
                {
                    byte[] spliced = (byte[])originals[random.Next(originals.Count)].Clone();
                    chunks.Insert(index, spliced);
                    return $"splice a {spliced.Length}-byte frame before chunk {index}";
                }
        }
    }
}
