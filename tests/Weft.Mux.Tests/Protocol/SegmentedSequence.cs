using System.Buffers;

namespace Weft.Mux.Tests.Protocol;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, the shape a PipeReader hands the codec when a
/// frame straddles buffer boundaries.
/// </summary>
internal static class SegmentedSequence
{
    /// <summary>Splits <paramref name="bytes"/> at the given offsets (sorted, duplicates allowed: they make empty segments).</summary>
    public static ReadOnlySequence<byte> Create(byte[] bytes, IEnumerable<int> splitPoints)
    {
        int[] cuts = [.. splitPoints.Where(p => p >= 0 && p <= bytes.Length).Order()];
        if (cuts.Length == 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        Segment? first = null;
        Segment? last = null;
        int start = 0;
        foreach (int cut in cuts.Append(bytes.Length))
        {
            // Copy each piece into its own array so no segment can peek at its neighbour's bytes.
            byte[] piece = bytes[start..cut];
            last = last is null ? first = new Segment(piece, 0) : last.Append(piece);
            start = cut;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
