namespace Weft.Tunnel.Status;

/// <summary>Where a session (or an agent's slot for one) stands.</summary>
public enum TunnelSessionState
{
    /// <summary>Dialling, handshaking or registering.</summary>
    Connecting,

    /// <summary>Up and carrying streams.</summary>
    Connected,

    /// <summary>Broken or refused; waiting for the backoff before the next attempt.</summary>
    WaitingToRetry,
}
