namespace Weft.Tunnel.Forwards;

/// <summary>The four kinds of forward a client agent runs, named after their command-line options.</summary>
public enum ForwardKind
{
    /// <summary><c>-L</c>: a local TCP port leads to a target reached by a server agent.</summary>
    Local,

    /// <summary><c>-R</c>: a TCP port opened on the relay (or, in direct mode, on the server agent) leads back to a target near this agent.</summary>
    Remote,

    /// <summary><c>-D</c>: a local SOCKS5 server whose CONNECT requests exit at a server agent.</summary>
    Dynamic,

    /// <summary><c>-U</c>: a local UDP port whose datagrams reach a UDP target near a server agent, boundaries kept.</summary>
    Udp,
}
