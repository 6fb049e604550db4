using Weft.Tunnel.Status;

namespace Weft.Tunnel;

/// <summary>
/// What the three roles (<see cref="Relay.TunnelRelay"/>, <see cref="Agents.ServerAgent"/>,
/// <see cref="Agents.ClientAgent"/>) have in common: start, a status snapshot, change events, a completion task, and dispose to stop.
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

    /// <summary>
    /// Completes when the host has stopped: after <see cref="IAsyncDisposable.DisposeAsync"/> has closed every
    /// listener and session and awaited every background task. Never faults.
    /// </summary>
    Task Completion { get; }

    /// <summary>
    /// Raised when a session comes up or goes down and when a forward's port is bound or closed (see
    /// <see cref="TunnelEventKind"/>), so a caller need not poll <see cref="GetStatus"/>. Handlers run on the host's
    /// thread that saw the change and must be quick; one that throws is logged and ignored.
    /// </summary>
    event EventHandler<TunnelEventArgs>? Changed;
}
