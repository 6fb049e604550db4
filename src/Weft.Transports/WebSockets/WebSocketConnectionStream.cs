using System.Net.WebSockets;

namespace Weft.Transports.WebSockets;

/// <summary>
/// A WebSocket as a byte stream: a thin wrapper over <see cref="WebSocketStream"/> (each write is one binary
/// message; a received Close frame reads as end of stream) that adds half-close through
/// <see cref="IHalfCloseable"/>: <see cref="CompleteWritesAsync"/> sends a Close frame
/// (<c>CloseOutputAsync</c>) and reading continues until the peer's Close frame.
/// </summary>
/// <remarks>One concurrent reader and one concurrent writer are allowed, as for <see cref="WebSocket"/>.</remarks>
public sealed class WebSocketConnectionStream : Stream, IHalfCloseable
{
    private readonly WebSocketStream _inner;
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _writesCompleted;

    /// <summary>Wraps an open WebSocket; the stream owns it.</summary>
    /// <param name="webSocket">The WebSocket.</param>
    /// <param name="closeTimeout">How long disposing waits for the peer's Close frame.</param>
    public WebSocketConnectionStream(WebSocket webSocket, TimeSpan closeTimeout)
    {
        ArgumentNullException.ThrowIfNull(webSocket);
        WebSocket = webSocket;
        _inner = WebSocketStream.Create(webSocket, WebSocketMessageType.Binary, closeTimeout);
    }

    /// <summary>The underlying WebSocket (for state; do not send or receive on it directly).</summary>
    public WebSocket WebSocket { get; }

    /// <summary>Whether <see cref="CompleteWritesAsync"/> has been called.</summary>
    public bool WritesCompleted => Volatile.Read(ref _writesCompleted) != 0;

    /// <summary>Completes when the stream has been disposed (the server keeps the HTTP request alive until then).</summary>
    internal Task Disposed => _disposed.Task;

    /// <inheritdoc/>
    public override bool CanRead => _inner.CanRead;

    /// <inheritdoc/>
    public override bool CanWrite => _inner.CanWrite && !WritesCompleted;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Sends a Close frame (normal closure): the peer reads end of stream after the bytes already written. Idempotent.</summary>
    /// <param name="cancellationToken">Cancels sending the Close frame (which aborts the WebSocket).</param>
    /// <returns>A task that completes when the Close frame was sent.</returns>
    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _writesCompleted, 1) != 0)
        {
            return;
        }

        try
        {
            if (WebSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await WebSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (WebSocketException ex)
        {
            throw new IOException($"Half-close failed: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

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
            try
            {
                _inner.Dispose();
            }
            finally
            {
                _disposed.TrySetResult();
            }
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        try
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            // The peer vanished during the closing handshake: nothing left to release cleanly.
        }
        finally
        {
            WebSocket.Dispose();
            _disposed.TrySetResult();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void ThrowIfWritesCompleted()
    {
        if (WritesCompleted)
        {
            throw new InvalidOperationException("Writes were completed (half-closed); nothing more can be written.");
        }
    }
}
