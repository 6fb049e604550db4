namespace Weft.Transports.Stripe;

/// <summary>A decoded frame header; the Data payload is at <see cref="PayloadStart"/> in the buffer it was read from.</summary>
internal readonly record struct StripeFrame(StripeFrameType Type, byte Flags, uint Value32, ulong Value64, ulong Limit, int PayloadStart, int PayloadLength);
