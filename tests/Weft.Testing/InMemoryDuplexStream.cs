using System.Buffers;
using System.IO.Pipelines;

namespace Weft.Testing;

/// <summary>
/// One end of an <see cref="InMemoryDuplex"/> connection.
/// </summary>
/// <remarks>
/// <para>Concurrency: one read and one write may be in progress at the same time (from different
/// threads); two concurrent reads or two concurrent writes are not supported. <see cref="Abort"/> and
/// <see cref="Stream.Dispose()"/> may be called from any thread at any time and wake pending operations.</para>
/// <para>Semantics: a read returns 0 only at end of stream (the peer completed its writes or was
/// disposed). A zero-byte <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> waits until data is
/// available and consumes nothing. A cancelled read or write throws
/// <see cref="OperationCanceledException"/> and leaves the stream usable (a cancelled write may have
/// committed a prefix of its bytes). <see cref="ReadTimeout"/> and <see cref="WriteTimeout"/> apply to
/// the synchronous methods only (as for <c>NetworkStream</c>); a timed-out call throws an
/// <see cref="IOException"/> whose inner exception is a <see cref="TimeoutException"/>, and the stream
/// stays usable. Writing to an end whose peer has been disposed throws <see cref="IOException"/>.</para>
/// </remarks>
public sealed class InMemoryDuplexStream : Stream
{
    private readonly InMemoryDuplexConnection _connection;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly int _maxWriteChunk;
    private readonly Lock _readGate = new();
    private readonly Lock _writeGate = new();
    private volatile bool _disposed;
    private volatile bool _writesCompleted;
    private int _readTimeout = Timeout.Infinite;
    private int _writeTimeout = Timeout.Infinite;

    internal InMemoryDuplexStream(InMemoryDuplexConnection connection, PipeReader input, PipeWriter output, int maxWriteChunk)
    {
        _connection = connection;
        _input = input;
        _output = output;
        _maxWriteChunk = maxWriteChunk;
    }

    /// <summary>Whether <see cref="CompleteWrites"/> (or its async form) has been called.</summary>
    public bool WritesCompleted => _writesCompleted;

    /// <summary>Whether the connection was aborted (by either end, or from outside).</summary>
    public bool IsAborted => _connection.AbortReason is not null;

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanWrite => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanTimeout => true;

    /// <summary>Timeout in milliseconds for synchronous reads; <see cref="Timeout.Infinite"/> (the default) for none.</summary>
    public override int ReadTimeout
    {
        get => _readTimeout;
        set => _readTimeout = ValidateTimeout(value);
    }

    /// <summary>Timeout in milliseconds for synchronous writes; <see cref="Timeout.Infinite"/> (the default) for none.</summary>
    public override int WriteTimeout
    {
        get => _writeTimeout;
        set => _writeTimeout = ValidateTimeout(value);
    }

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Half-close: no more bytes will be written; the peer reads the remaining bytes and then end of
    /// stream, while this end can still read. Later writes throw <see cref="InvalidOperationException"/>.
    /// Idempotent. Must not race a write on this end.
    /// </summary>
    public void CompleteWrites()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_writeGate)
        {
            if (!_writesCompleted && !_disposed)
            {
                _writesCompleted = true;
                _output.Complete();
            }
        }
    }

    /// <summary>Asynchronous form of <see cref="CompleteWrites"/> (completes synchronously: nothing is buffered here).</summary>
    /// <returns>A completed task.</returns>
    public ValueTask CompleteWritesAsync()
    {
        CompleteWrites();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Aborts the whole connection, as a network failure or reset would: pending and later reads and
    /// writes on BOTH ends throw <see cref="IOException"/>, and buffered bytes are discarded. May be
    /// called from any thread (it is the fault-injection hook for tests). Idempotent.
    /// </summary>
    public void Abort() => _connection.Abort("The in-memory connection was aborted.");

    /// <inheritdoc />
    public override void Flush() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return RunSync(ReadCoreAsync(buffer.AsMemory(offset, count), _readTimeout, CancellationToken.None));
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, buffer.Length));
        try
        {
            int n = RunSync(ReadCoreAsync(rented.AsMemory(0, buffer.Length), _readTimeout, CancellationToken.None));
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc />
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadCoreAsync(buffer.AsMemory(offset, count), Timeout.Infinite, cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, Timeout.Infinite, cancellationToken);

    /// <inheritdoc />
    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

    /// <inheritdoc />
    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        RunSync(WriteCoreAsync(buffer.AsMemory(offset, count), _writeTimeout, CancellationToken.None));
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, buffer.Length));
        try
        {
            buffer.CopyTo(rented);
            RunSync(WriteCoreAsync(rented.AsMemory(0, buffer.Length), _writeTimeout, CancellationToken.None));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc />
    public override void WriteByte(byte value)
    {
        ReadOnlySpan<byte> one = [value];
        Write(one);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteCoreAsync(buffer.AsMemory(offset, count), Timeout.Infinite, cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        WriteCoreAsync(buffer, Timeout.Infinite, cancellationToken);

    /// <inheritdoc />
    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    /// <inheritdoc />
    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Closes this end gracefully: the peer reads end of stream (unless the connection was aborted) and
    /// the peer's later writes throw <see cref="IOException"/>. Pending operations on this end throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    /// <param name="disposing">Whether called from <see cref="Stream.Dispose()"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _input.CancelPendingRead();
            _output.CancelPendingFlush();
            lock (_writeGate)
            {
                if (!_writesCompleted)
                {
                    _writesCompleted = true;
                    _output.Complete();
                }
            }

            lock (_readGate)
            {
                _input.Complete();
            }
        }

        base.Dispose(disposing);
    }

    private static int ValidateTimeout(int value)
    {
        if (value <= 0 && value != Timeout.Infinite)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A timeout is positive or Timeout.Infinite.");
        }

        return value;
    }

    private static T RunSync<T>(ValueTask<T> operation)
    {
        return operation.IsCompletedSuccessfully ? operation.Result : operation.AsTask().GetAwaiter().GetResult();
    }

    private static void RunSync(ValueTask operation)
    {
        if (operation.IsCompletedSuccessfully)
        {
            return;
        }

        operation.AsTask().GetAwaiter().GetResult();
    }

    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, int timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _connection.ThrowIfAborted();
        using var timeoutSource = timeout == Timeout.Infinite ? null : new CancellationTokenSource(timeout);
        CancellationToken token = timeoutSource?.Token ?? cancellationToken;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(token);
            }
            catch (OperationCanceledException) when (timeoutSource is not null && timeoutSource.IsCancellationRequested)
            {
                throw new IOException($"The read timed out after {timeout} ms.", new TimeoutException());
            }
            catch (InvalidOperationException) when (_disposed)
            {
                throw new ObjectDisposedException(GetType().FullName);
            }

            lock (_readGate)
            {
                // After Dispose completed the reader, the buffer may already be returned: do not touch it.
                ObjectDisposedException.ThrowIf(_disposed, this);
                ReadOnlySequence<byte> data = result.Buffer;
                if (_connection.AbortReason is not null)
                {
                    _input.AdvanceTo(data.Start);
                    _connection.ThrowIfAborted();
                }

                if (result.IsCanceled)
                {
                    // Woken by an abort or dispose that did not happen to this end: read again.
                    _input.AdvanceTo(data.Start);
                    continue;
                }

                if (data.IsEmpty && result.IsCompleted)
                {
                    _input.AdvanceTo(data.End);
                    return 0;
                }

                if (buffer.IsEmpty)
                {
                    // Zero-byte read: data is available; consume nothing (the BCL contract).
                    _input.AdvanceTo(data.Start);
                    return 0;
                }

                int n = (int)Math.Min(data.Length, buffer.Length);
                data.Slice(0, n).CopyTo(buffer.Span);
                _input.AdvanceTo(data.GetPosition(n));
                return n;
            }
        }
    }

    private async ValueTask WriteCoreAsync(ReadOnlyMemory<byte> buffer, int timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _connection.ThrowIfAborted();
        if (_writesCompleted)
        {
            throw new InvalidOperationException("Writes were completed on this stream.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var timeoutSource = timeout == Timeout.Infinite ? null : new CancellationTokenSource(timeout);
        CancellationToken token = timeoutSource?.Token ?? cancellationToken;
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _maxWriteChunk);
            lock (_writeGate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _connection.ThrowIfAborted();
                if (_writesCompleted)
                {
                    throw new InvalidOperationException("Writes were completed on this stream.");
                }

                _output.Write(buffer.Span[..n]);
            }

            buffer = buffer[n..];
            FlushResult result;
            try
            {
                result = await _output.FlushAsync(token);
            }
            catch (OperationCanceledException) when (timeoutSource is not null && timeoutSource.IsCancellationRequested)
            {
                throw new IOException($"The write timed out after {timeout} ms.", new TimeoutException());
            }
            catch (InvalidOperationException) when (_disposed)
            {
                throw new ObjectDisposedException(GetType().FullName);
            }

            ObjectDisposedException.ThrowIf(_disposed, this);
            _connection.ThrowIfAborted();
            if (result.IsCompleted)
            {
                throw new IOException("The peer closed the connection.");
            }
        }
    }
}
