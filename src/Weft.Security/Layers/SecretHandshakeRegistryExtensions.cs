using Weft.Crypto.Keys;
using Weft.Transports.Registry;

namespace Weft.Security.Layers;

/// <summary>Registers the <c>shs</c> layer in a <see cref="TransportRegistry"/>.</summary>
public static class SecretHandshakeRegistryExtensions
{
    /// <summary>
    /// Registers <c>shs</c> (<see cref="SecretHandshakeLayer"/>) so that addresses such as
    /// <c>net:127.0.0.1:8008~shs:KEY</c> can be dialled and <c>net:0.0.0.0:8008~shs</c> listened on.
    /// </summary>
    /// <param name="registry">The registry.</param>
    /// <param name="identity">This peer's identity (server key when listening, client key when dialling); not disposed by the layer.</param>
    /// <param name="networkKey">The 32-byte network key shared by the network's peers.</param>
    /// <param name="authorize">
    /// Which clients a listener admits; null refuses every client (fine for a dial-only registry). Use
    /// <see cref="SecretHandshake.AllowAnyClient"/> to admit every key.
    /// </param>
    /// <param name="handshake">Handshake timeout and clock; null for the defaults.</param>
    /// <returns>The registered layer.</returns>
    /// <exception cref="ArgumentException">The key size is wrong, or <c>shs</c> is already registered.</exception>
    public static SecretHandshakeLayer AddSecretHandshake(
        this TransportRegistry registry,
        Ed25519Identity identity,
        ReadOnlyMemory<byte> networkKey,
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>>? authorize = null,
        SecretHandshakeOptions? handshake = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var options = new SecretHandshakeLayerOptions { Identity = identity, NetworkKey = networkKey, Handshake = handshake };
        if (authorize is not null)
        {
            options.Authorize = authorize;
        }

        var layer = new SecretHandshakeLayer(options);
        registry.Register(layer);
        return layer;
    }
}
