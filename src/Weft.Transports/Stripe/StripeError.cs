namespace Weft.Transports.Stripe;

/// <summary>Why a <see cref="StripeException"/> was thrown.</summary>
public enum StripeError
{
    /// <summary>The peer broke the stripe wire protocol (bad frame, sequence outside the window, oversize chunk…); the bundle was closed.</summary>
    ProtocolError,

    /// <summary>Every leg of the bundle died before the transfer was finished; nothing after the last in-order byte was delivered.</summary>
    AllLegsLost,

    /// <summary>The peer closed or aborted the bundle while this side still expected data (a reset, not a half-close).</summary>
    PeerReset,

    /// <summary>This side aborted the bundle (<see cref="StripeStream.Abort"/>).</summary>
    Aborted,

    /// <summary>The server refused a leg: unknown bundle id, a leg that does not belong to the bundle, or too many pending bundles.</summary>
    Refused,
}
