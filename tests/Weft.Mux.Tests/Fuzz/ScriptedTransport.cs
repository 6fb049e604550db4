namespace Weft.Mux.Tests.Fuzz;

/// <summary>
/// A connection that delivers a fixed script of bytes in random-sized pieces, then either ends (EOF) or
/// stays open and idle until disposed. What the session writes is kept (up to a bound, then only counted),
/// so a test can check which GoAway the session sent on its way out; for a peer that never reads, writes
/// never complete until the transport is disposed or the write is cancelled.
/// </summary>
internal sealed class ScriptedTransport : Stream
{
    private readonly byte[] _script;
    private readonly bool _stayOpen;
    private readonly bool _blockWrites;
    private readonly Random _random;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private const int MaxKept = 4 * 1024 * 1024;

    private readonly MemoryStream _kept = new();
    private readonly Lock _writeLock = new();
    private int _position;
    private long _written;

    public ScriptedTransport(byte[] script, bool stayOpen, bool blockWrites, int seed)
    {
        _script = script;
        _stayOpen = stayOpen;
        _blockWrites = blockWrites;
        _random = new Random(seed);
    }

    /// <summary>Completes once the reader asked for more after the whole script was delivered.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Bytes the session wrote.</summary>
    public long BytesWritten => Interlocked.Read(ref _written);

    public bool IsDisposed => _closed.Task.IsCompleted;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>What the session wrote, or null when it wrote more than the bound.</summary>
    public byte[]? Written()
    {
        lock (_writeLock)
        {
            return _written > MaxKept ? null : _kept.ToArray();
        }
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_position < _script.Length)
        {
            // Mostly small pieces, sometimes everything at once: frames straddle reads in every way.
            int piece = _random.Next(4) == 0 ? _script.Length : _random.Next(1, 2048);
            int n = Math.Min(Math.Min(piece, buffer.Length), _script.Length - _position);
            _script.AsSpan(_position, n).CopyTo(buffer.Span);
            _position += n;
            return n;
        }

        _drained.TrySetResult();
        if (_stayOpen)
        {
            await _closed.Task.WaitAsync(cancellationToken);
        }

        return 0;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_blockWrites)
        {
            _closed.Task.Wait();
        }

        Record(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_blockWrites)
        {
            await _closed.Task.WaitAsync(cancellationToken);
        }

        Record(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Record(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        lock (_writeLock)
        {
            _written += buffer.Length;
            if (_written <= MaxKept)
            {
                _kept.Write(buffer);
            }
        }
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _closed.TrySetResult();
        base.Dispose(disposing);
    }
}
