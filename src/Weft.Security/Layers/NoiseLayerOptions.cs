using Weft.Crypto.Keys;

namespace Weft.Security.Layers;

/// <summary>Settings of the <c>noise</c> address layer (<see cref="NoiseLayer"/>); read once by its constructor.</summary>
public sealed class NoiseLayerOptions
{
    /// <summary>
    /// Optional 32-byte network key, mixed into the Noise prologue: peers with different keys (or one with a key and one
    /// without) cannot complete a handshake. It comes from configuration, never from the address (addresses are
    /// published). Default: empty. Generate one with <c>head -c 32 /dev/urandom | base64</c> and decode it with
    /// <see cref="NoiseOptions.ParseNetworkKey"/>.
    /// </summary>
    public ReadOnlyMemory<byte> NetworkKey { get; set; }

    /// <summary>
    /// Listening side: called with each initiator's proven public key; return <see langword="false"/> to refuse it (the
    /// initiator sees <see cref="SecureChannelError.HandshakeRejected"/> saying it is not authorised, the listener
    /// reports <see cref="SecureChannelError.ClientUnauthorized"/>). Default: refuse everyone, so that a listener never
    /// admits strangers by accident; use <see cref="NoiseHandshake.AllowAnyInitiator"/> to accept every key.
    /// </summary>
    public Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> Authorize { get; set; } = static (_, _) => ValueTask.FromResult(false);

    /// <summary>How long a handshake may take. Default <see cref="NoiseOptions.DefaultHandshakeTimeout"/> (10 s).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = NoiseOptions.DefaultHandshakeTimeout;

    /// <summary>The clock for <see cref="HandshakeTimeout"/>. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The handshake options these settings describe (validated).</summary>
    internal NoiseOptions ToHandshakeOptions()
    {
        ArgumentNullException.ThrowIfNull(Authorize);
        var options = new NoiseOptions
        {
            NetworkKey = NetworkKey.ToArray(),
            HandshakeTimeout = HandshakeTimeout,
            TimeProvider = TimeProvider,
            LeaveInnerStreamOpen = false,
        };
        options.Validate();
        return options;
    }
}
