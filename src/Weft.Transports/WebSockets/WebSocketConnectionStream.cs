using System.Net.Sockets;
using System.Net.WebSockets;

namespace Weft.Transports.WebSockets;

/// <summary>
/// A WebSocket as a byte stream: a thin wrapper over <see cref="WebSocketStream"/> (each write is one binary
/// message; a received Close frame reads as end of stream, repeatedly) that adds half-close through
/// <see cref="IHalfCloseable"/>: <see cref="CompleteWritesAsync"/> sends a Close frame
/// (<c>CloseOutputAsync</c>) and reading continues until the peer's Close frame. WebSocket failures surface
/// as <see cref="IOException"/>.
/// </summary>
/// <remarks>
/// One concurrent reader and one concurrent writer are allowed, as for <see cref="WebSocket"/>. Cancelling a
/// pending read aborts the WebSocket (a property of <see cref="WebSocket"/>). Disposing sends a Close frame
/// if none was sent (bounded by the close timeout) and closes the connection without waiting for the
/// peer's answer, like closing a socket.
/// </remarks>
public sealed class WebSocketConnectionStream : Stream, IHalfCloseable
{
    private readonly WebSocketStream _inner;
    private readonly TimeSpan _closeTimeout;
    private readonly TaskCompletionSource _disposedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _writesCompleted;
    private int _disposed;
    private readonly CancellationToken _connectionAborted;
    private readonly Socket? _socket;
    private volatile bool _endOfStream;

    /// <summary>Wraps an open WebSocket; the stream owns it.</summary>
    /// <param name="webSocket">The WebSocket.</param>
    /// <param name="closeTimeout">How long disposing may spend sending the Close frame.</param>
    public WebSocketConnectionStream(WebSocket webSocket, TimeSpan closeTimeout)
        : this(webSocket, closeTimeout, CancellationToken.None)
    {
    }

    /// <summary>Server side: <paramref name="connectionAborted"/> (Kestrel's <c>RequestAborted</c>) and the state of
    /// <paramref name="socket"/> (Kestrel's connection socket, if known) turn writes into errors once the connection is
    /// gone, because Kestrel silently discards writes to an aborted connection. <c>RequestAborted</c> alone is not
    /// enough: Kestrel cancels it from the thread pool, so on a busy machine many writes can vanish before it fires.</summary>
    internal WebSocketConnectionStream(WebSocket webSocket, TimeSpan closeTimeout, CancellationToken connectionAborted, Socket? socket = null)
    {
        ArgumentNullException.ThrowIfNull(webSocket);
        WebSocket = webSocket;
        _closeTimeout = closeTimeout;
        _connectionAborted = connectionAborted;
        _socket = socket;
        _inner = WebSocketStream.Create(webSocket, WebSocketMessageType.Binary, ownsWebSocket: false);
    }

    /// <summary>The underlying WebSocket (for state; do not send or receive on it directly).</summary>
    public WebSocket WebSocket { get; }

    /// <summary>Whether <see cref="CompleteWritesAsync"/> has been called.</summary>
    public bool WritesCompleted => Volatile.Read(ref _writesCompleted) != 0;

    /// <summary>Completes when the stream has been disposed (the server keeps the HTTP request alive until then).</summary>
    internal Task Disposed => _disposedSignal.Task;

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc/>
    public override bool CanRead => !IsDisposed;

    /// <inheritdoc/>
    public override bool CanWrite => !IsDisposed && !WritesCompleted;

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
        ObjectDisposedException.ThrowIf(IsDisposed, this);
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
    public override int Read(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ValidateBufferArguments(buffer, offset, count);
        if (_endOfStream)
        {
            return 0;
        }

        try
        {
            return NoteEnd(_inner.Read(buffer, offset, count), count);
        }
        catch (WebSocketException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_endOfStream)
        {
            return 0;
        }

        try
        {
            return NoteEnd(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);
        }
        catch (WebSocketException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        ThrowIfCannotWrite();
        if (count == 0)
        {
            return;
        }

        try
        {
            _inner.Write(buffer, offset, count);
        }
        catch (WebSocketException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfCannotWrite();
        cancellationToken.ThrowIfCancellationRequested();
        if (buffer.IsEmpty)
        {
            return;
        }

        try
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public override void Flush() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask CloseAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (WebSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(_closeTimeout);
                await WebSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer vanished or the close frame could not be sent in time: closing anyway.
        }
        finally
        {
            try
            {
                _inner.Dispose();
                WebSocket.Dispose();
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
            {
                // Kestrel may already have torn the request down.
            }

            _disposedSignal.TrySetResult();
        }
    }

    private int NoteEnd(int read, int requested)
    {
        if (read == 0 && requested > 0)
        {
            _endOfStream = true;
        }

        return read;
    }

    private void ThrowIfCannotWrite()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (WritesCompleted)
        {
            throw new InvalidOperationException("Writes were completed (half-closed); nothing more can be written.");
        }

        if (_connectionAborted.IsCancellationRequested || TcpConnectionClosed(_socket))
        {
            throw new IOException("The WebSocket connection was aborted by the peer or the network.");
        }
    }

    /// <summary>
    /// True when the kernel says the TCP connection is over (Linux <c>TCP_INFO</c> state <c>TCP_CLOSE</c>: the peer reset
    /// it) or Kestrel has already disposed the socket. The kernel records the reset before the failed send that makes
    /// Kestrel start discarding writes, so a write that would vanish is refused here instead.
    /// </summary>
    private static bool TcpConnectionClosed(Socket? socket)
    {
        if (socket is null || !OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            // struct tcp_info starts with the one-byte tcpi_state; SOL_TCP = 6, TCP_INFO = 11, TCP_CLOSE = 7.
            Span<byte> info = stackalloc byte[8];
            return socket.GetRawSocketOption(6, 11, info) >= 1 && info[0] == 7;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static IOException Translate(WebSocketException ex) => new($"WebSocket failed: {ex.Message}", ex);
}
