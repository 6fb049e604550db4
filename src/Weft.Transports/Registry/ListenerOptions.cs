namespace Weft.Transports.Registry;

/// <summary>How a listener runs the stream layers of accepted connections. Validated when a listener starts.</summary>
public sealed class ListenerOptions
{
    /// <summary>The defaults.</summary>
    public static ListenerOptions Default { get; } = new();

    /// <summary>
    /// How long the stream layers (handshakes) of one accepted connection may take before it is dropped.
    /// Default: 30 seconds.
    /// </summary>
    public TimeSpan LayerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many accepted connections may be running their layers at once; further accepts wait.
    /// Default: 64.
    /// </summary>
    public int MaxPendingLayers { get; init; } = 64;

    /// <summary>
    /// How many fully layered connections may wait for <see cref="IConnectionListener.AcceptAsync"/>; when
    /// full, finished handshakes wait (back-pressure). Default: 64.
    /// </summary>
    public int AcceptBacklog { get; init; } = 64;

    /// <summary>
    /// Called (on a pool thread) when a layer fails or times out on an accepted connection; the connection
    /// has already been closed. Exceptions thrown by the callback are ignored. Default: null.
    /// </summary>
    public Action<string?, Exception>? OnLayerError { get; init; }

    /// <summary>The time source for <see cref="LayerTimeout"/>. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LayerTimeout, TimeSpan.Zero, nameof(LayerTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingLayers, 1, nameof(MaxPendingLayers));
        ArgumentOutOfRangeException.ThrowIfLessThan(AcceptBacklog, 1, nameof(AcceptBacklog));
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
