namespace Weft.Security;

/// <summary>Settings for a Noise handshake and the stream it produces; read once when the handshake starts.</summary>
public sealed class NoiseOptions
{
    /// <summary>The default <see cref="HandshakeTimeout"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Optional 32-byte network key. When set, it is part of the Noise prologue (<c>"weft-noise/1" ‖ key</c>), so peers
    /// configured with different keys (or one with a key and one without) fail the handshake: different Weft networks
    /// cannot talk by accident. It is not a password; the static keys still authenticate. Default: empty (no key).
    /// </summary>
    public ReadOnlyMemory<byte> NetworkKey { get; set; }

    /// <summary>
    /// How long the whole handshake (both messages and the authorisation callback) may take before it fails with
    /// <see cref="SecureChannelError.HandshakeTimeout"/> and the inner stream is disposed. Default 10 seconds;
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = DefaultHandshakeTimeout;

    /// <summary>The clock for <see cref="HandshakeTimeout"/> (tests may inject a manual one). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// When <see langword="true"/>, disposing the resulting <see cref="NoiseStream"/> does not dispose the inner stream.
    /// Default <see langword="false"/>. (A failed handshake always disposes the inner stream.)
    /// </summary>
    public bool LeaveInnerStreamOpen { get; set; }

    internal static NoiseOptions Default { get; } = new();

    /// <summary>Decodes a network key written in base64 (as in a config file).</summary>
    /// <param name="base64">The key: 32 bytes in base64.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">It is not 32 bytes of base64 (the message does not contain the text).</exception>
    public static byte[] ParseNetworkKey(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        byte[] key = new byte[NoiseHandshake.NetworkKeySize];
        if (!Convert.TryFromBase64String(base64.Trim(), key, out int written) || written != key.Length)
        {
            throw new FormatException("A noise network key must be 32 bytes in base64.");
        }

        return key;
    }

    internal void Validate()
    {
        if (!NetworkKey.IsEmpty && NetworkKey.Length != NoiseHandshake.NetworkKeySize)
        {
            throw new ArgumentException(
                $"The noise network key must be empty or {NoiseHandshake.NetworkKeySize} bytes, got {NetworkKey.Length}.", nameof(NetworkKey));
        }

        if (HandshakeTimeout != Timeout.InfiniteTimeSpan && HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "The handshake timeout must be positive or infinite.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }

    /// <summary>The prologue: <c>"weft-noise/1"</c>, then the network key if any.</summary>
    internal byte[] BuildPrologue()
    {
        byte[] prologue = new byte[NoiseWire.ProloguePrefix.Length + NetworkKey.Length];
        NoiseWire.ProloguePrefix.CopyTo(prologue);
        NetworkKey.Span.CopyTo(prologue.AsSpan(NoiseWire.ProloguePrefix.Length));
        return prologue;
    }
}
