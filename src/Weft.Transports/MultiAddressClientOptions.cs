namespace Weft.Transports;

/// <summary>How <see cref="MultiAddressClient"/> tries the alternatives of a multiaddress. Validated by the client's constructor.</summary>
public sealed class MultiAddressClientOptions
{
    /// <summary>
    /// Time allowed for one alternative, including its layers (handshakes); then it counts as failed with
    /// <see cref="TransportError.TimedOut"/>. Default: 10 seconds.
    /// </summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether a failed alternative falls through to the next one it understands. False gives multiserver's
    /// behaviour: only the first understood alternative is tried. Default: true.
    /// </summary>
    public bool FallThrough { get; init; } = true;

    /// <summary>
    /// When set, alternatives race Happy-Eyeballs style: the next one starts when the previous fails or after
    /// this stagger, whichever comes first; the first to connect wins and the others are cancelled (a late
    /// winner is closed). Null (the default) tries them one after another. Ignored when
    /// <see cref="FallThrough"/> is false. RFC 8305 suggests 250 ms.
    /// </summary>
    public TimeSpan? RaceStagger { get; init; }

    /// <summary>The time source for timeouts and the stagger. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(AttemptTimeout, TimeSpan.Zero, nameof(AttemptTimeout));
        if (RaceStagger is { } stagger)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(stagger, TimeSpan.Zero, nameof(RaceStagger));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
