namespace Weft.Mux.Internal;

/// <summary>
/// Receive segments of one session. The read loop rents and the readers (other threads) return, a pattern
/// that overflows the shared pool's per-thread and per-core caches and makes it allocate; one small pool
/// shared by both sides keeps the steady state free of allocations.
/// </summary>
internal sealed class SegmentPool
{
    /// <summary>Size of every segment.</summary>
    public const int SegmentSize = 64 * 1024;

    private readonly byte[]?[] _free;
    private int _count;

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

        return GC.AllocateUninitializedArray<byte>(SegmentSize);
    }

    public void Return(byte[] segment)
    {
        lock (_free)
        {
            if (_count < _free.Length)
            {
                _free[_count++] = segment;
            }
        }
    }
}
