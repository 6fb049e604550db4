namespace Weft.Tunnel.Status;

/// <summary>What changed in a host (see <see cref="ITunnelHost.Changed"/>).</summary>
public enum TunnelEventKind
{
    /// <summary>A session came up: an agent's upstream session (after dial, handshake and set-up), or a peer on a relay / direct listener.</summary>
    SessionUp,

    /// <summary>A session ended; <see cref="TunnelEventArgs.Reason"/> says why.</summary>
    SessionDown,

    /// <summary>A forward's port is bound: an agent's <c>-R</c> port granted by its upstream, or a port a relay / direct listener opened for an agent.</summary>
    ForwardBound,

    /// <summary>A forward's port closed (its session ended, or the agent let it go).</summary>
    ForwardUnbound,
}
