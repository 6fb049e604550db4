namespace Weft.Security;

/// <summary>Settings for a secret-handshake; read once when the handshake starts.</summary>
public sealed class SecretHandshakeOptions
{
    /// <summary>The default <see cref="HandshakeTimeout"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the whole handshake (all four messages and the authorisation callback) may take before it fails with
    /// <see cref="SecureChannelError.HandshakeTimeout"/> and the inner stream is disposed. Default 10 seconds;
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = DefaultHandshakeTimeout;

    /// <summary>The clock for <see cref="HandshakeTimeout"/> (tests may inject a manual one). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// When <see langword="true"/>, disposing the resulting <see cref="BoxStream"/> does not dispose the inner
    /// stream. Default <see langword="false"/>. (A failed handshake always disposes the inner stream.)
    /// </summary>
    public bool LeaveInnerStreamOpen { get; set; }

    internal static SecretHandshakeOptions Default { get; } = new();

    internal void Validate()
    {
        if (HandshakeTimeout != Timeout.InfiniteTimeSpan && HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "The handshake timeout must be positive or infinite.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
