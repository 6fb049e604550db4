using Weft.Tunnel.Forwards;

namespace Weft.Tunnel.Status;

/// <summary>One forward in a <see cref="TunnelStatus"/> snapshot.</summary>
public sealed record TunnelForwardStatus
{
    /// <summary>The forward as configured (default server filled in).</summary>
    public required ForwardSpec Spec { get; init; }

    /// <summary>Where it listens (e.g. <c>127.0.0.1:8080</c>, the real port when 0 was asked for), or null while not bound (an <c>-R</c> waiting for a session).</summary>
    public string? BoundEndPoint { get; init; }

    /// <summary>
    /// For a port a relay (or a server agent in direct mode) opened for an agent's <c>-R</c>: the public id of the
    /// agent it leads to (its <see cref="Spec"/> target is only a placeholder there, as the target is known to the
    /// agent alone). Null for an agent's own forwards.
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>Connections (UDP: flows) open now.</summary>
    public int ActiveConnections { get; init; }

    /// <summary>Connections (UDP: flows) accepted since start.</summary>
    public long TotalConnections { get; init; }

    /// <summary>Connections refused (no session, or a hop refused).</summary>
    public long RefusedConnections { get; init; }

    /// <summary>Bytes carried towards the target.</summary>
    public long BytesToTarget { get; init; }

    /// <summary>Bytes carried back from the target.</summary>
    public long BytesFromTarget { get; init; }

    /// <summary>The last refusal or error, as the user would see it.</summary>
    public string? LastError { get; init; }
}
