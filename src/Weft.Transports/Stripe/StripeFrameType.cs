namespace Weft.Transports.Stripe;

/// <summary>The kinds of frame on a leg after the hello. See docs/protocol.md, "Striping".</summary>
internal enum StripeFrameType : byte
{
    /// <summary>A chunk of the bundle's byte stream: <c>length</c> bytes at stream <c>offset</c>.</summary>
    Data = 0,

    /// <summary>Bytes received on this leg so far, the window limit, and whether the FIN arrived.</summary>
    Ack = 1,

    /// <summary>End of the sender's direction at a final stream offset (half-close).</summary>
    Fin = 2,

    /// <summary>The bundle is over: the sender closed or aborted it, or saw a protocol error.</summary>
    Reset = 3,
}
