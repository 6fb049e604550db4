namespace Weft.Mux.Protocol;

/// <summary>Wire constants of the yamux protocol (hashicorp/yamux spec.md). docs/protocol.md changes with this file.</summary>
public static class YamuxConstants
{
    /// <summary>The only protocol version defined by the spec; any other value is a protocol error.</summary>
    public const byte Version = 0;

    /// <summary>Size of every frame header: version u8, type u8, flags u16, stream id u32, length u32, big-endian.</summary>
    public const int HeaderSize = 12;

    /// <summary>Receive window every stream starts with, in each direction (spec: 256 KiB).</summary>
    public const int InitialStreamWindow = 256 * 1024;

    /// <summary>Stream id 0 is the session itself: Ping and GoAway use it, Data and WindowUpdate never do.</summary>
    public const uint SessionStreamId = 0;
}

/// <summary>The yamux frame types (spec "Type field").</summary>
public enum YamuxFrameType : byte
{
    /// <summary>Payload bytes for a stream; length = number of payload bytes that follow the header.</summary>
    Data = 0,

    /// <summary>Adds length bytes of send credit to a stream; also carries SYN/ACK/FIN/RST without payload.</summary>
    WindowUpdate = 1,

    /// <summary>Liveness and RTT probe on stream 0; length is an opaque value the ACK echoes.</summary>
    Ping = 2,

    /// <summary>The sender opens no more streams and accepts no more; length is a <see cref="YamuxGoAwayCode"/>.</summary>
    GoAway = 3,
}

/// <summary>The yamux header flags (a bit mask, spec "Flag field").</summary>
[Flags]
public enum YamuxFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>Opens a new stream (Data or WindowUpdate), or asks for a Ping reply.</summary>
    Syn = 1,

    /// <summary>Acknowledges a new stream, or answers a Ping.</summary>
    Ack = 2,

    /// <summary>Half-close: the sender will send no more data on this stream.</summary>
    Fin = 4,

    /// <summary>Hard reset of a stream in both directions.</summary>
    Rst = 8,
}

/// <summary>Error codes carried in the length field of a GoAway frame.</summary>
public enum YamuxGoAwayCode : uint
{
    /// <summary>Normal termination.</summary>
    Normal = 0,

    /// <summary>The peer broke the protocol.</summary>
    ProtocolError = 1,

    /// <summary>The sender failed internally.</summary>
    InternalError = 2,
}
