namespace Weft.Transports;

/// <summary>Why a <see cref="TransportException"/> was thrown.</summary>
public enum TransportError
{
    /// <summary>No registered plugin understands a part of the address, or the plugin cannot dial/listen.</summary>
    Unsupported,

    /// <summary>A plugin understood the name but not the fields (e.g. <c>net</c> without a valid port).</summary>
    InvalidAddress,

    /// <summary>The connection could not be made (refused, unreachable, name not resolved, TLS failure…).</summary>
    ConnectFailed,

    /// <summary>The dial (including its layers) did not finish within its timeout.</summary>
    TimedOut,

    /// <summary>A SOCKS5 proxy refused or failed the request.</summary>
    ProxyFailed,

    /// <summary>A layer (handshake) failed on an established connection.</summary>
    LayerFailed,

    /// <summary>A listener could not be started (address in use, permission…).</summary>
    ListenFailed,

    /// <summary>Every alternative of a multiaddress failed; see <see cref="TransportException.Attempts"/>.</summary>
    AllAttemptsFailed,
}
