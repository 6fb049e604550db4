namespace Weft.Mux.Internal;

/// <summary>
/// Bytes received for one stream and not yet read: a ring of segments from the session's pool. Empty, it holds no array,
/// so an idle stream costs only this object. Not thread-safe: the stream's lock guards it.
/// </summary>
internal sealed class ReceiveBuffer
{
    private readonly SegmentPool _pool;
    private Segment[]? _ring;
    private int _head;
    private int _count;

    public ReceiveBuffer(SegmentPool pool) => _pool = pool;

    /// <summary>Bytes buffered.</summary>
    public long Length { get; private set; }

    /// <summary>Appends a copy of <paramref name="data"/>.</summary>
    public void Append(in System.Buffers.ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            Append(data.FirstSpan);
            return;
        }

        foreach (ReadOnlyMemory<byte> memory in data)
        {
            Append(memory.Span);
        }
    }

    /// <summary>Appends a copy of <paramref name="data"/>.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_count == 0 || Tail.End == Tail.Array.Length)
            {
                Push(_pool.Rent());
            }

            ref Segment tail = ref Tail;
            int n = Math.Min(data.Length, tail.Array.Length - tail.End);
            data[..n].CopyTo(tail.Array.AsSpan(tail.End));
            tail.End += n;
            Length += n;
            data = data[n..];
        }
    }

    /// <summary>
    /// Contiguous room for <paramref name="length"/> bytes (at most one segment) at the end: in the last segment when
    /// it has that much left, else in a new one. Write it, then <see cref="CommitAppend"/>; until then it is not
    /// part of the buffer (a write that is never committed leaves at most an empty segment, read past as nothing).
    /// </summary>
    public Span<byte> GetAppendSpan(int length)
    {
        if (_count == 0 || Tail.Array.Length - Tail.End < length)
        {
            Push(_pool.Rent());
        }

        ref Segment tail = ref Tail;
        return tail.Array.AsSpan(tail.End, length);
    }

    /// <summary>Makes the <paramref name="length"/> bytes written into <see cref="GetAppendSpan"/>'s span part of the buffer.</summary>
    public void CommitAppend(int length)
    {
        Tail.End += length;
        Length += length;
    }

    /// <summary>Moves up to <paramref name="destination"/>.Length bytes out; returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        int total = 0;
        while (!destination.IsEmpty && _count > 0)
        {
            ref Segment head = ref _ring![_head];
            int n = Math.Min(destination.Length, head.End - head.Start);
            head.Array.AsSpan(head.Start, n).CopyTo(destination);
            head.Start += n;
            destination = destination[n..];
            total += n;
            Length -= n;
            if (head.Start == head.End)
            {
                _pool.Return(head.Array);
                head = default;
                _head = (_head + 1) % _ring.Length;
                _count--;
            }
        }

        if (_count == 0)
        {
            _head = 0;
        }

        return total;
    }

    /// <summary>Drops everything and returns the arrays to the pool.</summary>
    public void Clear()
    {
        while (_count > 0)
        {
            _pool.Return(_ring![_head].Array);
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
        }

        _head = 0;
        Length = 0;
    }

    private ref Segment Tail => ref _ring![(_head + _count - 1) % _ring.Length];

    private void Push(byte[] array)
    {
        if (_ring is null || _count == _ring.Length)
        {
            var bigger = new Segment[Math.Max(4, (_ring?.Length ?? 0) * 2)];
            for (int i = 0; i < _count; i++)
            {
                bigger[i] = _ring![(_head + i) % _ring.Length];
            }

            _ring = bigger;
            _head = 0;
        }

        _ring[(_head + _count) % _ring.Length] = new Segment { Array = array };
        _count++;
    }

    private struct Segment
    {
        public byte[] Array;
        public int Start;
        public int End;
    }
}
