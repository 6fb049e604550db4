using System.Net.Sockets;

namespace Weft.Transports.Net;

/// <summary>
/// The stream of a connected TCP or Unix-domain socket: a thin wrapper over <see cref="NetworkStream"/>
/// (which owns the socket) that adds half-close through <see cref="IHalfCloseable"/>
/// (<c>Socket.Shutdown(SocketShutdown.Send)</c>, a FIN on TCP).
/// </summary>
/// <remarks>One concurrent reader and one concurrent writer are allowed, as for <see cref="NetworkStream"/>.</remarks>
public sealed class SocketStream : Stream, IHalfCloseable
{
    private readonly NetworkStream _inner;
    private int _writesCompleted;

    /// <summary>Wraps a connected socket; the stream owns it.</summary>
    /// <param name="socket">A connected stream socket.</param>
    public SocketStream(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Socket = socket;
        _inner = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>The underlying socket (for options; do not read or write it directly).</summary>
    public Socket Socket { get; }

    /// <summary>Whether <see cref="CompleteWritesAsync"/> has been called.</summary>
    public bool WritesCompleted => Volatile.Read(ref _writesCompleted) != 0;

    /// <inheritdoc/>
    public override bool CanRead => _inner.CanRead;

    /// <inheritdoc/>
    public override bool CanWrite => _inner.CanWrite && !WritesCompleted;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanTimeout => true;

    /// <summary>Timeout of synchronous reads in milliseconds (<see cref="Timeout.Infinite"/> by default); a timed-out read throws <see cref="IOException"/>.</summary>
    public override int ReadTimeout
    {
        get => _inner.ReadTimeout;
        set => _inner.ReadTimeout = value;
    }

    /// <summary>Timeout of synchronous writes in milliseconds (<see cref="Timeout.Infinite"/> by default).</summary>
    public override int WriteTimeout
    {
        get => _inner.WriteTimeout;
        set => _inner.WriteTimeout = value;
    }

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Sends FIN: the peer reads end of stream after the bytes already written. Idempotent.</summary>
    /// <param name="cancellationToken">Not used: shutdown does not block.</param>
    /// <returns>A completed task.</returns>
    public ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _writesCompleted, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        try
        {
            Socket.Shutdown(SocketShutdown.Send);
            return ValueTask.CompletedTask;
        }
        catch (SocketException ex)
        {
            return ValueTask.FromException(new IOException($"Half-close failed: {ex.Message}", ex));
        }
        catch (ObjectDisposedException ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ThrowIfWritesCompleted();
        _inner.Write(buffer, offset, count);
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfWritesCompleted();
        _inner.Write(buffer);
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ThrowIfWritesCompleted();
        return _inner.WriteAsync(buffer, offset, count, cancellationToken);
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfWritesCompleted();
        return _inner.WriteAsync(buffer, cancellationToken);
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        _inner.Dispose();
        return base.DisposeAsync();
    }

    private void ThrowIfWritesCompleted()
    {
        if (WritesCompleted)
        {
            throw new InvalidOperationException("Writes were completed (half-closed); nothing more can be written.");
        }
    }
}
