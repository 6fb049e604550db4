using Weft.Transports;

namespace Weft.Tunnel.Status;

/// <summary>One session in a <see cref="TunnelStatus"/> snapshot: a peer connected to a relay or direct server, or an agent's link to its upstream.</summary>
public sealed record TunnelSessionStatus
{
    /// <summary>The peer's verified key (base64), or null while not connected.</summary>
    public string? PeerKey { get; init; }

    /// <summary>The address the session runs over (the upstream multiaddress for agents; the remote end point for a relay).</summary>
    public required string Address { get; init; }

    /// <summary>What the peer is: <c>server</c> (it serves names), <c>client</c>, or <c>relay</c>/<c>upstream</c> on an agent.</summary>
    public required string PeerRole { get; init; }

    /// <summary>The server names the peer serves (relay side), or this agent registered (agent side).</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>The session's state.</summary>
    public TunnelSessionState State { get; init; }

    /// <summary>Last measured round-trip time (keepalive ping); zero before the first.</summary>
    public TimeSpan RoundTripTime { get; init; }

    /// <summary>Forwarded streams open on the session now.</summary>
    public int ActiveStreams { get; init; }

    /// <summary>Forwarded streams carried since the session started.</summary>
    public long TotalStreams { get; init; }

    /// <summary>Bytes sent on the session's connection (mux framing included).</summary>
    public long BytesSent { get; init; }

    /// <summary>Bytes received on the session's connection (mux framing included).</summary>
    public long BytesReceived { get; init; }

    /// <summary>When the session came up (or the slot was created).</summary>
    public DateTimeOffset Since { get; init; }

    /// <summary>Sessions made so far for this slot (1 = never reconnected); relay side: 1.</summary>
    public int Generation { get; init; }

    /// <summary>
    /// The legs under the session when its connection is carried by several at once (a <c>stripe:N</c> link):
    /// per-leg bytes and queue depth, found through <see cref="ILegStatisticsSource"/>; empty otherwise.
    /// </summary>
    public IReadOnlyList<LegStatistics> Legs { get; init; } = [];

    /// <summary>Why the last attempt or session failed, if it did (a clear message, never a secret).</summary>
    public string? LastError { get; init; }
}
