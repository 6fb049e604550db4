namespace Weft.Tunnel.Routing;

/// <summary>Wire constants of route requests (docs/tunnels.md, "Route requests"). One place, one line each.</summary>
internal static class RouteWire
{
    /// <summary>The protocol version in every frame's first byte.</summary>
    public const byte Version = 1;

    /// <summary>Frame header: version u8, type u8, body length u16 big-endian.</summary>
    public const int HeaderSize = 4;

    /// <summary>The largest body a hop accepts; a larger length is refused before the body is read.</summary>
    public const int MaxBodySize = 1024;

    /// <summary>The longest host name or address text in a target.</summary>
    public const int MaxHostLength = 255;

    /// <summary>The longest reply message, in UTF-8 bytes.</summary>
    public const int MaxMessageLength = 512;

    /// <summary>Names in one Register request.</summary>
    public const int MaxRegisterNames = 16;

    /// <summary>The largest datagram carried by a UDP stream (u16 length prefix).</summary>
    public const int MaxDatagramSize = 65535;
}

/// <summary>Frame types (docs/tunnels.md).</summary>
internal enum RouteFrameType : byte
{
    /// <summary>Client → relay (or direct server): "server S, and pass this inner request on".</summary>
    Open = 0x01,

    /// <summary>Relay → server agent: "client KEY (verified) wants: inner request".</summary>
    Incoming = 0x02,

    /// <summary>Server agent → relay: "I serve these names"; the reply ends the stream.</summary>
    Register = 0x03,

    /// <summary>Agent → relay (or direct server): "open this port for my -R forward"; the stream lives as long as the listener.</summary>
    Listen = 0x04,

    /// <summary>Relay → agent: "a connection arrived on your -R port".</summary>
    Accepted = 0x05,

    /// <summary>Inner request: a TCP connection to host:port.</summary>
    TcpTarget = 0x10,

    /// <summary>Inner request: a UDP flow to host:port (the stream then carries length-prefixed datagrams).</summary>
    UdpTarget = 0x11,

    /// <summary>The answer to any request.</summary>
    Reply = 0x80,
}
