namespace Weft.Transports.Stripe;

/// <summary>
/// Limits and tuning of <c>stripe</c> bundles, for both the dialling and the listening side. Validated
/// once when the <see cref="StripeCombinator"/> is created; every limit has a documented default.
/// Memory per bundle is bounded by <see cref="ReceiveWindowBytes"/> + <see cref="SendBufferBytes"/> plus
/// one read buffer per leg.
/// </summary>
public sealed class StripeOptions
{
    /// <summary>The defaults.</summary>
    public static StripeOptions Default { get; } = new();

    /// <summary>Largest chunk this side sends (bytes per Data frame). Default 16 KiB; at most <see cref="MaxChunkBytes"/>.</summary>
    public int ChunkBytes { get; init; } = 16 * 1024;

    /// <summary>Largest chunk this side accepts; a longer Data frame is a protocol error. Default 64 KiB.</summary>
    public int MaxChunkBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Receive window per bundle: the peer may send bytes only up to this far beyond what the application
    /// has read. It holds both unread in-order data and the reorder buffer, so it must cover the extra
    /// delay of the slowest leg times the bundle's rate. Default 8 MiB.
    /// </summary>
    public int ReceiveWindowBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Most bytes kept for sending per bundle (queued, in flight and not yet acknowledged by the receiving
    /// leg, kept for resending if the leg dies); writers wait when it is full. Default 8 MiB.
    /// </summary>
    public int SendBufferBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Smallest per-leg limit on unsent + unacknowledged bytes (used until the leg's rate and round trip are
    /// measured, and as a floor afterwards). Default 64 KiB.
    /// </summary>
    public int MinLegWindowBytes { get; init; } = 64 * 1024;

    /// <summary>Largest per-leg limit on unsent + unacknowledged bytes. Default 4 MiB.</summary>
    public int MaxLegWindowBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Per-leg limit = this × measured delivery rate × minimum round trip (clamped to the two limits above),
    /// so each leg keeps its pipe full without a deep queue. Default 2.
    /// </summary>
    public double LegWindowGain { get; init; } = 2.0;

    /// <summary>
    /// Server: how long a bundle may wait for all its legs before they are closed. Client: how long each
    /// leg's hello may take. Default 10 seconds.
    /// </summary>
    public TimeSpan BundleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Server: most bundles waiting for their legs at once; further first legs are refused as busy. Default 64.</summary>
    public int MaxPendingBundles { get; init; } = 64;

    /// <summary>Server: most complete bundles waiting for <c>AcceptAsync</c>; when full, new bundles wait. Default 64.</summary>
    public int AcceptBacklog { get; init; } = 64;

    /// <summary>
    /// How long disposing a bundle waits for the peer to acknowledge everything written (and the half-close)
    /// before the legs are closed anyway. Default 5 seconds.
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A leg whose oldest unacknowledged chunk has waited this long is declared dead and its chunks are resent
    /// on the other legs (catches legs that stall without closing). Default 30 seconds.
    /// </summary>
    public TimeSpan LegStallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Client: how many times in a row a dead leg is re-dialled (a rejoin of the running bundle) before this
    /// side gives up on it and goes on with the legs it has. 0 turns re-dialling off. A refusal by the server
    /// (e.g. one that does not support rejoining) stops at once. Legs are re-dialled only while at least one
    /// leg is alive: when the last one dies, the bundle fails. Default 5.
    /// </summary>
    public int LegRedialAttempts { get; init; } = 5;

    /// <summary>
    /// Client: the wait before the first re-dial of a dead leg; it doubles after each failed attempt, up to
    /// 16 times this. Default 250 ms.
    /// </summary>
    public TimeSpan LegRedialDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Server: most leg rejoins accepted per bundle over its life; further rejoins are refused. Default 64.</summary>
    public int MaxLegRejoins { get; init; } = 64;

    /// <summary>Time source for the timeouts. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Checks every value; throws <see cref="ArgumentOutOfRangeException"/> naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChunkBytes, 1024, nameof(MaxChunkBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxChunkBytes, 1024 * 1024, nameof(MaxChunkBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(ChunkBytes, 256, nameof(ChunkBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ChunkBytes, MaxChunkBytes, nameof(ChunkBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveWindowBytes, 4 * MaxChunkBytes, nameof(ReceiveWindowBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(SendBufferBytes, 4 * ChunkBytes, nameof(SendBufferBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinLegWindowBytes, ChunkBytes, nameof(MinLegWindowBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLegWindowBytes, MinLegWindowBytes, nameof(MaxLegWindowBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(LegWindowGain, 1.0, nameof(LegWindowGain));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BundleTimeout, TimeSpan.Zero, nameof(BundleTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingBundles, 1, nameof(MaxPendingBundles));
        ArgumentOutOfRangeException.ThrowIfLessThan(AcceptBacklog, 1, nameof(AcceptBacklog));
        ArgumentOutOfRangeException.ThrowIfLessThan(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LegStallTimeout, TimeSpan.Zero, nameof(LegStallTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(LegRedialAttempts, nameof(LegRedialAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(LegRedialDelay, TimeSpan.Zero, nameof(LegRedialDelay));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxLegRejoins, nameof(MaxLegRejoins));
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
