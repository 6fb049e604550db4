using Weft.Tunnel.Status;

namespace Weft.Tunnel;

/// <summary>
/// What the three roles (<see cref="Relay.TunnelRelay"/>, <see cref="Agents.ServerAgent"/>,
/// <see cref="Agents.ClientAgent"/>) have in common: start, a status snapshot, and dispose to stop.
/// </summary>
public interface ITunnelHost : IAsyncDisposable
{
    /// <summary>Starts the host: binds its listeners (errors such as a port in use are thrown here) and starts its background loops. Call once.</summary>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>A task that completes when listening (agents do not wait for their first session; see their <c>WaitForSessionAsync</c>).</returns>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>A snapshot of sessions, streams, bytes and forwards. Thread-safe, cheap.</summary>
    /// <returns>The snapshot.</returns>
    TunnelStatus GetStatus();
}
