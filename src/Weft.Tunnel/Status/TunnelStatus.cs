namespace Weft.Tunnel.Status;

/// <summary>A point-in-time snapshot of a tunnel host, for <c>weft status</c> and logs.</summary>
public sealed record TunnelStatus
{
    /// <summary>The host's role: <c>relay</c>, <c>server</c> or <c>client</c>.</summary>
    public required string Role { get; init; }

    /// <summary>When the host started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The addresses the host listens on (bound, real ports), as multiaddress alternatives.</summary>
    public IReadOnlyList<string> ListenAddresses { get; init; } = [];

    /// <summary>Sessions (relay: one per connected agent; agents: one per upstream slot).</summary>
    public IReadOnlyList<TunnelSessionStatus> Sessions { get; init; } = [];

    /// <summary>Forwards (client agents; relays list the <c>-R</c> ports they opened for agents).</summary>
    public IReadOnlyList<TunnelForwardStatus> Forwards { get; init; } = [];

    /// <summary>Forwarded streams open now through this host.</summary>
    public int ActiveStreams { get; init; }

    /// <summary>Forwarded streams since start.</summary>
    public long TotalStreams { get; init; }

    /// <summary>Streams refused since start (any reason).</summary>
    public long RefusedStreams { get; init; }
}
