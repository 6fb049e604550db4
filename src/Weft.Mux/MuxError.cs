namespace Weft.Mux;

/// <summary>Why a mux operation failed; carried by <see cref="MuxException"/>.</summary>
public enum MuxError
{
    /// <summary>The session was closed locally (disposed).</summary>
    SessionClosed,

    /// <summary>The underlying connection ended or failed while the session was in use.</summary>
    ConnectionLost,

    /// <summary>The peer broke the protocol; the session sent GoAway with a protocol error and closed.</summary>
    ProtocolError,

    /// <summary>The peer sent GoAway: it accepts no new streams (existing ones go on).</summary>
    RemoteGoAway,

    /// <summary>This side sent GoAway or ran out of stream ids: no new streams can be opened.</summary>
    LocalGoAway,

    /// <summary>The peer reset the stream.</summary>
    StreamReset,

    /// <summary>The peer refused a stream this side opened (reset before it was acknowledged: backlog full or going away).</summary>
    StreamRefused,

    /// <summary>The stream was aborted locally with <see cref="MuxStream.Abort(MuxAbortDirection)"/>.</summary>
    StreamAborted,

    /// <summary>The peer did not answer a keepalive ping in time.</summary>
    KeepAliveTimeout,

    /// <summary>A read or write did not complete within <see cref="MuxStream.ReadTimeout"/> or <see cref="MuxStream.WriteTimeout"/>; the stream stays usable.</summary>
    Timeout,

    /// <summary>The peer sent more frames that need a reply than the bound allows while not reading ours.</summary>
    ReplyFlood,

    /// <summary>The peer closed the session with GoAway and then the connection.</summary>
    RemoteClosed,

    /// <summary>
    /// gomux only: the peer closed the stream (CloseStream) or stopped reading it (its CloseRead), so it will read
    /// no more and writes fail. Reads still return what had arrived, then end of stream.
    /// </summary>
    PeerClosedStream,
}
