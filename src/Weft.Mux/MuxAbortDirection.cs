namespace Weft.Mux;

/// <summary>Which side of a stream <see cref="MuxStream.Abort(MuxAbortDirection)"/> aborts.</summary>
[Flags]
public enum MuxAbortDirection
{
    /// <summary>Stop reading: buffered and future incoming data is discarded (yamux has no wire signal for this).</summary>
    Read = 1,

    /// <summary>Stop writing abruptly. In yamux a reset ends both directions, so this sends RST.</summary>
    Write = 2,

    /// <summary>Reset the stream in both directions (RST).</summary>
    Both = Read | Write,
}
