using System.Buffers.Binary;
using Weft.Mux.Protocol;

namespace Weft.GomuxBench;

/// <summary>
/// The transport of a gomux session under a one-core send measurement: a peer that reads nothing but the frame
/// headers (plain text on the wire) and answers every Data frame of n bytes with WindowUpdate frames granting n,
/// as gomux's receiver does after each read. Everything written is dropped after the header walk (optionally the
/// first bytes are recorded, to replay into a receiving session).
/// </summary>
/// <remarks>
/// The answers are sealed before the measurement (a ring of WindowUpdate(65 536) frames; gomux has no replay
/// protection, so re-sending one is a valid frame the session authenticates like any other), so the peer's own
/// sealing does not count against the session; a grant that is not a multiple of 65 536 is sealed on the spot.
/// The session does all it does over TCP: seals every frame, writes batches, reads and authenticates every grant.
/// </remarks>
internal sealed class CreditingSink : SimulatedPeerStream
{
    private const int RingSize = 256;

    private readonly GomuxFrameCodec _codec;
    private readonly byte[][] _grants = new byte[RingSize][];
    private readonly FrameWalker _frames = new();
    private readonly MemoryStream? _recording;
    private readonly int _recordLimit;
    private long _owed;
    private byte[] _pending = [];
    private int _pendingOffset;
    private int _nextGrant;
    private TaskCompletionSource? _dataWaiter;
    private long _dataTarget = long.MaxValue;

    public CreditingSink(GomuxFrameCodec codec, int recordBytes = 0)
    {
        _codec = codec;
        for (int i = 0; i < RingSize; i++)
        {
            var frame = new System.Buffers.ArrayBufferWriter<byte>(GomuxConstants.MinFrameSize);
            codec.WriteFrame(frame, 0, GomuxFrameType.WindowUpdate, GomuxConstants.MaxLength, default);
            _grants[i] = frame.WrittenSpan.ToArray();
        }

        if (recordBytes > 0)
        {
            _recording = new MemoryStream(recordBytes);
            _recordLimit = recordBytes;
        }

        StreamId = 0;
    }

    /// <summary>The stream the grants are for (the client's first stream is 0).</summary>
    public uint StreamId { get; init; }

    /// <summary>Data bytes seen in the written frames.</summary>
    public long DataBytes { get; private set; }

    /// <summary>The first written bytes, when recording was asked for.</summary>
    public byte[] Recording => _recording?.ToArray() ?? [];

    /// <summary>Completes once <paramref name="bytes"/> Data bytes in all have been written to this sink.</summary>
    public Task WaitForDataAsync(long bytes)
    {
        lock (Gate)
        {
            if (DataBytes >= bytes)
            {
                return Task.CompletedTask;
            }

            _dataTarget = bytes;
            _dataWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _dataWaiter.Task;
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_recording is not null && _recording.Length < _recordLimit)
        {
            _recording.Write(buffer[..(int)Math.Min(buffer.Length, _recordLimit - _recording.Length)]);
        }

        long data = 0;
        while (_frames.TryNext(ref buffer, out GomuxFrameType type, out uint length))
        {
            if (type == GomuxFrameType.Data)
            {
                data += length;
            }
        }

        if (data == 0)
        {
            return;
        }

        TaskCompletionSource? wake;
        TaskCompletionSource? done = null;
        lock (Gate)
        {
            DataBytes += data;
            _owed += data;
            wake = TakeReadWaiterLocked();
            if (DataBytes >= _dataTarget)
            {
                done = _dataWaiter;
                _dataWaiter = null;
                _dataTarget = long.MaxValue;
            }
        }

        wake?.TrySetResult();
        done?.TrySetResult();
    }

    protected override int TryReadLocked(Span<byte> buffer)
    {
        if (_pendingOffset < _pending.Length || TakeGrantLocked())
        {
            int n = Math.Min(buffer.Length, _pending.Length - _pendingOffset);
            _pending.AsSpan(_pendingOffset, n).CopyTo(buffer);
            _pendingOffset += n;
            return n;
        }

        return -1;
    }

    private bool TakeGrantLocked()
    {
        if (_owed == 0)
        {
            return false;
        }

        if (_owed >= GomuxConstants.MaxLength)
        {
            _pending = _grants[_nextGrant];
            _nextGrant = (_nextGrant + 1) % RingSize;
            _owed -= GomuxConstants.MaxLength;
        }
        else
        {
            var frame = new System.Buffers.ArrayBufferWriter<byte>(GomuxConstants.MinFrameSize);
            _codec.WriteFrame(frame, StreamId, GomuxFrameType.WindowUpdate, (uint)_owed, default);
            _pending = frame.WrittenSpan.ToArray();
            _owed = 0;
        }

        _pendingOffset = 0;
        return true;
    }
}

/// <summary>
/// The transport of a gomux session under a one-core receive measurement: a sender that replays frames recorded
/// from a real Weft gomux sender (the OpenStream first, then its Data frames over and over: gomux has no replay
/// protection, so each is a valid frame the session authenticates and decrypts), within the credit the session
/// grants. It reads the session's WindowUpdate headers to learn that credit, as a real sender must, and releases a
/// Data frame only when the window holds it; released bytes are handed out in whatever pieces the reader asks for,
/// so frames straddle the session's read buffers as they do over TCP.
/// </summary>
internal sealed class RecordedSender : SimulatedPeerStream
{
    private readonly byte[] _recording;
    private readonly List<(int Offset, int Size, int DataLength)> _dataFrames = [];
    private readonly FrameWalker _frames = new();
    private readonly long _dataTotal;
    private long _credit = GomuxConstants.InitialWindow;
    private long _dataReleased;
    private int _next;
    private int _releasedOffset;
    private int _releasedEnd;

    /// <summary>Replays <paramref name="recording"/> (a gomux client's bytes from its first frame) until <paramref name="dataTotal"/> Data bytes went out.</summary>
    public RecordedSender(byte[] recording, long dataTotal)
    {
        _recording = recording;
        _dataTotal = dataTotal;
        int offset = 0;
        while (offset + GomuxConstants.HeaderSize <= recording.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(recording.AsSpan(offset + 4));
            var type = (GomuxFrameType)BinaryPrimitives.ReadUInt32LittleEndian(recording.AsSpan(offset + 8));
            int size = GomuxConstants.HeaderSize + (type == GomuxFrameType.Data ? (int)length : 0) + GomuxConstants.TagSize;
            if (offset + size > recording.Length)
            {
                break;
            }

            if (type == GomuxFrameType.OpenStream && offset == 0)
            {
                // Released at once: the opening frame carries no data.
                _releasedEnd = size;
            }
            else if (type == GomuxFrameType.Data)
            {
                _dataFrames.Add((offset, size, (int)length));
            }

            offset += size;
        }

        if (_releasedEnd == 0 || _dataFrames.Count == 0)
        {
            throw new InvalidOperationException("the recording does not start with an OpenStream followed by Data frames");
        }
    }

    protected override int TryReadLocked(Span<byte> buffer)
    {
        if (_releasedOffset < _releasedEnd || ReleaseLocked())
        {
            int n = Math.Min(buffer.Length, _releasedEnd - _releasedOffset);
            _recording.AsSpan(_releasedOffset, n).CopyTo(buffer);
            _releasedOffset += n;
            return n;
        }

        return -1;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long credit = 0;
        while (_frames.TryNext(ref buffer, out GomuxFrameType type, out uint length))
        {
            if (type == GomuxFrameType.WindowUpdate)
            {
                credit += length;
            }
        }

        if (credit == 0)
        {
            return;
        }

        TaskCompletionSource? wake;
        lock (Gate)
        {
            _credit += credit;
            wake = TakeReadWaiterLocked();
        }

        wake?.TrySetResult();
    }

    /// <summary>Releases the next recorded Data frames the window holds, as one contiguous run of the recording.</summary>
    private bool ReleaseLocked()
    {
        if (_dataReleased >= _dataTotal)
        {
            return false;
        }

        (int offset, int size, int dataLength) = _dataFrames[_next];
        if (_credit < dataLength)
        {
            return false;
        }

        _releasedOffset = offset;
        _releasedEnd = offset + size;
        _credit -= dataLength;
        _dataReleased += dataLength;
        _next++;

        // Frames that follow in the recording go out in the same piece while the window holds them.
        while (_next < _dataFrames.Count && _dataReleased < _dataTotal && _dataFrames[_next].Offset == _releasedEnd && _credit >= _dataFrames[_next].DataLength)
        {
            _credit -= _dataFrames[_next].DataLength;
            _dataReleased += _dataFrames[_next].DataLength;
            _releasedEnd += _dataFrames[_next].Size;
            _next++;
        }

        if (_next == _dataFrames.Count)
        {
            _next = 0;
        }

        return true;
    }
}

/// <summary>
/// The stream plumbing both simulated peers share: one lock, reads that wait until the subclass has bytes to give
/// (<see cref="TryReadLocked"/>), writes that complete synchronously, and a dispose that ends a waiting read.
/// </summary>
internal abstract class SimulatedPeerStream : Stream
{
    private bool _closed;
    private TaskCompletionSource? _readWaiter;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Guards the subclass's state and the waiting read.</summary>
    protected Lock Gate { get; } = new();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (Gate)
            {
                int n = TryReadLocked(buffer.Span);
                if (n >= 0)
                {
                    return n;
                }

                if (_closed)
                {
                    return 0;
                }

                _readWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _readWaiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Under <see cref="Gate"/>: copies available bytes into <paramref name="buffer"/>; -1 when there are none yet.</summary>
    protected abstract int TryReadLocked(Span<byte> buffer);

    /// <summary>Under <see cref="Gate"/>, after making bytes available: the waiting read to wake (outside the lock), if any.</summary>
    protected TaskCompletionSource? TakeReadWaiterLocked()
    {
        TaskCompletionSource? wake = _readWaiter;
        _readWaiter = null;
        return wake;
    }

    protected override void Dispose(bool disposing)
    {
        TaskCompletionSource? wake;
        lock (Gate)
        {
            _closed = true;
            wake = TakeReadWaiterLocked();
        }

        wake?.TrySetResult();
        base.Dispose(disposing);
    }
}

/// <summary>
/// Walks the gomux frames in a byte stream written in arbitrary pieces, reading only the plain-text headers and
/// skipping bodies and tags.
/// </summary>
internal sealed class FrameWalker
{
    private readonly byte[] _header = new byte[GomuxConstants.HeaderSize];
    private int _headerFill;
    private long _skip;

    /// <summary>Consumes <paramref name="buffer"/> up to the end of the next whole header; false when it ran out first.</summary>
    public bool TryNext(ref ReadOnlySpan<byte> buffer, out GomuxFrameType type, out uint length)
    {
        while (!buffer.IsEmpty)
        {
            if (_skip > 0)
            {
                int n = (int)Math.Min(_skip, buffer.Length);
                _skip -= n;
                buffer = buffer[n..];
                continue;
            }

            int take = Math.Min(GomuxConstants.HeaderSize - _headerFill, buffer.Length);
            buffer[..take].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += take;
            buffer = buffer[take..];
            if (_headerFill < GomuxConstants.HeaderSize)
            {
                break;
            }

            _headerFill = 0;
            length = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(4));
            type = (GomuxFrameType)BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(8));
            _skip = (type == GomuxFrameType.Data ? length : 0) + GomuxConstants.TagSize;
            return true;
        }

        type = default;
        length = 0;
        return false;
    }
}
