using System.Buffers;

namespace Weft.Mux.Internal;

/// <summary>
/// Receive segments of one session. The read loop rents and the readers (other threads) return, a pattern
/// that overflows the shared pool's per-thread and per-core caches and makes it allocate; one small pool
/// shared by both sides keeps the steady state free of allocations.
/// </summary>
/// <remarks>
/// The shared <see cref="ArrayPool{T}"/> is the second level: a miss rents from it, a segment the session
/// pool has no room for goes back to it, and so do all free segments once the session ends
/// (<see cref="Release"/>). A new session, or one whose streams buffer more than ever before, then reuses
/// what earlier sessions let go instead of allocating (the harness's <c>alloc-per-mib</c> measured 8-18 KB
/// per MiB in new sessions before this). Segments hold only bytes a stream received and its reader copies
/// out; what is past a segment's written end is never read.
/// </remarks>
internal sealed class SegmentPool
{
    /// <summary>Size of every segment (a size the shared pool keeps, so its arrays are exactly this long).</summary>
    public const int SegmentSize = 64 * 1024;

    private readonly byte[]?[] _free;
    private int _count;
    private bool _released;

    /// <summary>Creates a pool that keeps at most <paramref name="capacity"/> free segments.</summary>
    public SegmentPool(int capacity) => _free = new byte[capacity][];

    public byte[] Rent()
    {
        lock (_free)
        {
            if (_count > 0)
            {
                byte[] segment = _free[--_count]!;
                _free[_count] = null;
                return segment;
            }
        }

        return ArrayPool<byte>.Shared.Rent(SegmentSize);
    }

    public void Return(byte[] segment)
    {
        lock (_free)
        {
            if (!_released && _count < _free.Length)
            {
                _free[_count++] = segment;
                return;
            }
        }

        ArrayPool<byte>.Shared.Return(segment);
    }

    /// <summary>The session ended: hands the free segments to the shared pool, and every later return too.</summary>
    public void Release()
    {
        lock (_free)
        {
            _released = true;
            for (int i = 0; i < _count; i++)
            {
                ArrayPool<byte>.Shared.Return(_free[i]!);
                _free[i] = null;
            }

            _count = 0;
        }
    }
}
