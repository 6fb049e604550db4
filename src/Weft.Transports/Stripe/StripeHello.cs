namespace Weft.Transports.Stripe;

/// <summary>A decoded leg hello.</summary>
internal readonly record struct StripeHello(byte Version, int LegCount, int LegIndex, StripeHelloStatus Status, int ReceiveWindow, UInt128 BundleId);
