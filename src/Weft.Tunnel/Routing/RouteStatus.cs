namespace Weft.Tunnel.Routing;

/// <summary>
/// The status code of a route reply (one byte on the wire, docs/tunnels.md), and the reason a
/// <see cref="TunnelException"/> carries. Values below 64 travel on the wire; the rest are local.
/// </summary>
public enum RouteStatus
{
    /// <summary>Accepted: bytes flow from now on.</summary>
    Ok = 0,

    /// <summary>The request was malformed, truncated, too large or of an unknown type.</summary>
    BadRequest = 1,

    /// <summary>The request's version is not spoken by this hop.</summary>
    UnsupportedVersion = 2,

    /// <summary>The (verified) key is not allowed to do this: reach that server, serve that name, open that port.</summary>
    NotAllowed = 3,

    /// <summary>No server agent with that name is connected to the relay.</summary>
    NoSuchServer = 4,

    /// <summary>The server agent's ACL does not allow that target for the client's key.</summary>
    TargetNotAllowed = 5,

    /// <summary>The target refused the connection.</summary>
    ConnectionRefused = 6,

    /// <summary>The target host or network is unreachable.</summary>
    HostUnreachable = 7,

    /// <summary>The target name did not resolve.</summary>
    NameNotResolved = 8,

    /// <summary>A hop or the target did not answer in time.</summary>
    TimedOut = 9,

    /// <summary>The key's concurrent-stream limit is reached.</summary>
    LimitReached = 10,

    /// <summary>The hop carries as many streams (or sessions) as it is configured for.</summary>
    Full = 11,

    /// <summary>The hop failed unexpectedly (details in its log).</summary>
    InternalError = 12,

    /// <summary>The hop does not offer this (for example <c>-R</c> through a relay that allows none).</summary>
    NotSupported = 13,

    /// <summary>Local: the agent has no session to its relay or server right now.</summary>
    NoSession = 64,

    /// <summary>Local: the session broke while the request was in flight.</summary>
    SessionLost = 65,
}
