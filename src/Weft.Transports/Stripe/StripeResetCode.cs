namespace Weft.Transports.Stripe;

/// <summary>Codes carried by a Reset frame.</summary>
internal enum StripeResetCode : uint
{
    /// <summary>The peer closed the bundle while this side could still send (like a TCP RST after close), or aborted it.</summary>
    Closed = 0,

    /// <summary>The peer saw a protocol error from this side.</summary>
    ProtocolError = 1,
}
