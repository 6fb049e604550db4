using Weft.Crypto.Keys;

namespace Weft.Security.Layers;

/// <summary>Settings of the <c>shs</c> address layer (<see cref="SecretHandshakeLayer"/>); read once by its constructor.</summary>
/// <remarks>
/// The network key (multiserver's "app key", <c>caps.shs</c> in Scuttlebutt) separates networks: peers with different
/// keys cannot even finish the first message. Weft ships none: generate 32 random bytes once per deployment
/// (e.g. <c>head -c 32 /dev/urandom | base64</c>) and give every peer the same value, for example from its
/// config file through <see cref="ParseNetworkKey"/>. Talking to Scuttlebutt peers needs Scuttlebutt's own key.
/// </remarks>
public sealed class SecretHandshakeLayerOptions
{
    /// <summary>
    /// This peer's long-term identity: the server's key when listening, the client's when dialling (unless the
    /// address carries a seed). Required; it must outlive the layer (the layer does not dispose it).
    /// </summary>
    public Ed25519Identity? Identity { get; set; }

    /// <summary>The 32-byte network key shared by every peer of the network. Required; no default.</summary>
    public ReadOnlyMemory<byte> NetworkKey { get; set; }

    /// <summary>
    /// Server side: called with each client's proven public key; return <see langword="false"/> to refuse it (the
    /// client sees <see cref="SecureChannelError.HandshakeRejected"/>, the listener reports
    /// <see cref="SecureChannelError.ClientUnauthorized"/>). Default: refuse everyone, so that a listener never
    /// admits strangers by accident; use <see cref="SecretHandshake.AllowAnyClient"/> to accept every key.
    /// </summary>
    public Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> Authorize { get; set; } = static (_, _) => ValueTask.FromResult(false);

    /// <summary>Handshake timeout and clock; null for <see cref="SecretHandshakeOptions"/>' defaults (10 s).</summary>
    public SecretHandshakeOptions? Handshake { get; set; }

    /// <summary>Decodes a network key written in base64 (as in a config file).</summary>
    /// <param name="base64">The key: 32 bytes in base64.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">It is not 32 bytes of base64 (the message does not contain the text).</exception>
    public static byte[] ParseNetworkKey(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        byte[] key = new byte[SecretHandshake.NetworkKeySize];
        if (!Convert.TryFromBase64String(base64.Trim(), key, out int written) || written != key.Length)
        {
            throw new FormatException("A secret-handshake network key must be 32 bytes in base64.");
        }

        return key;
    }

    internal void Validate()
    {
        if (Identity is null)
        {
            throw new ArgumentException("The shs layer needs an identity (SecretHandshakeLayerOptions.Identity).", nameof(Identity));
        }

        if (NetworkKey.Length != SecretHandshake.NetworkKeySize)
        {
            throw new ArgumentException(
                $"The shs network key must be {SecretHandshake.NetworkKeySize} bytes, got {NetworkKey.Length}.", nameof(NetworkKey));
        }

        ArgumentNullException.ThrowIfNull(Authorize);
        Handshake?.Validate();
    }
}
