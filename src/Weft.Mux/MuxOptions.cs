namespace Weft.Mux;

/// <summary>
/// Settings of a <see cref="MuxSession"/>. Validated once and copied when the session starts, so changing
/// an instance later does not affect running sessions. Every limit has a documented default
/// (docs/protocol.md, "Weft's policies").
/// </summary>
public sealed class MuxOptions
{
    /// <summary>Largest receive window one stream may grow to by auto-tuning. Default 16 MiB; at least 256 KiB.</summary>
    public int MaxStreamWindowSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Grow receive windows with the measured consumption rate (otherwise they stay at 256 KiB). Default true.</summary>
    public bool WindowAutoTuning { get; set; } = true;

    /// <summary>
    /// Session-wide budget for window growth beyond the initial 256 KiB of each stream, in bytes. Bounds the
    /// memory a peer can make this session buffer to (streams × 256 KiB) + this. Default 64 MiB.
    /// </summary>
    public long SessionReceiveBudget { get; set; } = 64L * 1024 * 1024;

    /// <summary>Streams opened by the peer and not yet accepted; more are reset (RST). Default 256.</summary>
    public int AcceptBacklog { get; set; } = 256;

    /// <summary>Most streams opened by the peer that may be alive at once; more are reset. Default 4096.</summary>
    public int MaxInboundStreams { get; set; } = 4096;

    /// <summary>Interval between keepalive pings, or <see cref="Timeout.InfiniteTimeSpan"/> for none. Default 30 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a keepalive ping may go unanswered before the session is closed. Default 30 s.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stream disposed locally waits for the peer's FIN before it is reset and forgotten. Default 60 s.
    /// </summary>
    public TimeSpan StreamCloseTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Most reply frames (ping ACKs, RSTs, window updates answering data) that may wait unsent while the peer
    /// does not read; past it the session is closed with <see cref="MuxError.ReplyFlood"/>. Default 4096.
    /// </summary>
    public int MaxPendingReplies { get; set; } = 4096;

    /// <summary>Bytes of outgoing frames buffered before writers wait for the connection. Default 1 MiB.</summary>
    public int MaxOutgoingBufferSize { get; set; } = 1024 * 1024;

    /// <summary>Largest Data payload this side sends in one frame. Default 64 KiB.</summary>
    public int MaxDataFrameSize { get; set; } = 64 * 1024;

    /// <summary>Size of the buffer the read loop reads the connection with. Default 256 KiB.</summary>
    public int ReadBufferSize { get; set; } = 256 * 1024;

    /// <summary>How long closing the session may spend flushing what is queued before it drops the connection. Default 5 s.</summary>
    public TimeSpan CloseFlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Round-trip estimate used by window auto-tuning until a ping has measured one. Default 100 ms.</summary>
    public TimeSpan InitialRttEstimate { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The wire format: <see cref="MuxDialect.Yamux"/> (the default) or <see cref="MuxDialect.Gomux(string)"/> with
    /// its pre-shared key. Both peers must agree. With gomux, <see cref="MaxDataFrameSize"/> must be at most 64 KiB,
    /// streams start with gomux's 128 KiB windows, keepalives are gomux Keepalive frames sent after
    /// <see cref="KeepAliveInterval"/> of write idleness (gomux has no ping, so <see cref="KeepAliveTimeout"/> does not apply),
    /// and <see cref="MuxSession.PingAsync"/> is not supported.
    /// </summary>
    public MuxDialect Dialect { get; set; } = MuxDialect.Yamux;

    /// <summary>Clock for keepalives, timeouts and RTT. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Returns a validated copy.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    internal MuxOptions ValidatedCopy()
    {
        Check(MaxStreamWindowSize >= Protocol.YamuxConstants.InitialStreamWindow, nameof(MaxStreamWindowSize), "must be at least 256 KiB");
        Check(SessionReceiveBudget >= 0, nameof(SessionReceiveBudget), "must not be negative");
        Check(AcceptBacklog > 0, nameof(AcceptBacklog), "must be positive");
        Check(MaxInboundStreams > 0, nameof(MaxInboundStreams), "must be positive");
        Check(KeepAliveInterval == Timeout.InfiniteTimeSpan || KeepAliveInterval > TimeSpan.Zero, nameof(KeepAliveInterval), "must be positive or infinite");
        Check(KeepAliveTimeout > TimeSpan.Zero, nameof(KeepAliveTimeout), "must be positive");
        Check(StreamCloseTimeout > TimeSpan.Zero, nameof(StreamCloseTimeout), "must be positive");
        Check(MaxPendingReplies > 0, nameof(MaxPendingReplies), "must be positive");
        Check(MaxOutgoingBufferSize >= 16 * 1024, nameof(MaxOutgoingBufferSize), "must be at least 16 KiB");
        Check(MaxDataFrameSize is >= 1024 and <= Protocol.YamuxConstants.InitialStreamWindow, nameof(MaxDataFrameSize), "must be between 1 KiB and 256 KiB");
        Check(ReadBufferSize >= 4096, nameof(ReadBufferSize), "must be at least 4 KiB");
        Check(CloseFlushTimeout >= TimeSpan.Zero, nameof(CloseFlushTimeout), "must not be negative");
        Check(InitialRttEstimate > TimeSpan.Zero, nameof(InitialRttEstimate), "must be positive");
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(Dialect);
        Check(Dialect.Kind != MuxDialectKind.Gomux || MaxDataFrameSize <= Protocol.GomuxConstants.MaxLength, nameof(MaxDataFrameSize), "must be at most 64 KiB with the gomux dialect (gomux refuses longer frames)");
        return (MuxOptions)MemberwiseClone();
    }

    private static void Check(bool ok, string name, string message)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, message);
        }
    }
}
