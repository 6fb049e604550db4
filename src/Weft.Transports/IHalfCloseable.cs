namespace Weft.Transports;

/// <summary>
/// A connected stream that can finish its sending direction while still reading: the peer sees end of
/// stream (a read returning 0) after the bytes already written, and can keep sending until it does the
/// same. TCP and Unix sockets implement it with <c>Socket.Shutdown(SocketShutdown.Send)</c> (a FIN),
/// WebSockets with a Close frame sent by <c>CloseOutputAsync</c>.
/// </summary>
/// <remarks>
/// Contract: call it at most once and not concurrently with a write; it flushes what was written before
/// it; a write after it throws; reading is unaffected; disposing the stream is still required.
/// Calling it again is a no-op. Streams that wrap another stream (security layers, multiplexers) should
/// implement it by finishing their own framing and then forwarding to the inner stream.
/// </remarks>
public interface IHalfCloseable
{
    /// <summary>Ends the sending direction (half-close) after flushing pending writes.</summary>
    /// <param name="cancellationToken">Cancels waiting for the flush; the direction may be left half-finished.</param>
    /// <returns>A task that completes when the end has been handed to the transport.</returns>
    ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default);
}
