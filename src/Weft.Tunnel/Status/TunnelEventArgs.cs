using Weft.Tunnel.Forwards;

namespace Weft.Tunnel.Status;

/// <summary>One change in a host: a session up or down, a forward's port bound or closed.</summary>
public sealed class TunnelEventArgs : EventArgs
{
    /// <summary>What happened.</summary>
    public required TunnelEventKind Kind { get; init; }

    /// <summary>The session's address: the upstream multiaddress for an agent, the peer's end point for a relay or direct listener.</summary>
    public required string Address { get; init; }

    /// <summary>True for an agent's own session to its upstream (a relay, or a server agent in direct mode); false for a peer that connected to this host.</summary>
    public bool IsUpstream { get; init; }

    /// <summary>The peer's verified public id, when known.</summary>
    public string? PeerKey { get; init; }

    /// <summary>For an agent's upstream: which session this is (1 for the first, +1 per replacement); 1 for a relay's peers.</summary>
    public int Generation { get; init; }

    /// <summary>Why a session ended or a forward closed; null otherwise.</summary>
    public string? Reason { get; init; }

    /// <summary>The forward, for <see cref="TunnelEventKind.ForwardBound"/> / <see cref="TunnelEventKind.ForwardUnbound"/>.</summary>
    public ForwardSpec? Forward { get; init; }

    /// <summary>The bound end point of the forward (e.g. <c>127.0.0.1:8000</c>).</summary>
    public string? BoundEndPoint { get; init; }
}
