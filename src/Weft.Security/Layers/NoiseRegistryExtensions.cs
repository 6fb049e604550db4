using Weft.Crypto.Keys;
using Weft.Transports.Registry;

namespace Weft.Security.Layers;

/// <summary>Registers the <c>noise</c> layer in a <see cref="TransportRegistry"/>.</summary>
public static class NoiseRegistryExtensions
{
    /// <summary>
    /// Registers <c>noise</c> (<see cref="NoiseLayer"/>) for dialling and listening, so that addresses such as
    /// <c>net:relay.example:8008~noise:KEY</c> can be dialled and <c>net:0.0.0.0:8008~noise</c> listened on. It can sit
    /// next to <c>shs</c> in the same registry (one identity, two protocols, on different addresses).
    /// </summary>
    /// <param name="registry">The registry.</param>
    /// <param name="identity">This peer's identity (the responder's key when listening, the initiator's when dialling); not disposed by the layer.</param>
    /// <param name="options">
    /// Network key, authorisation and timeout; null for the defaults: no network key, and a listener refuses every
    /// initiator (fine for a dial-only registry). Set <see cref="NoiseLayerOptions.Authorize"/> to admit keys.
    /// </param>
    /// <returns>The registered layer.</returns>
    /// <exception cref="ArgumentException">An option is invalid, or <c>noise</c> is already registered.</exception>
    public static NoiseLayer AddNoise(this TransportRegistry registry, Ed25519Identity identity, NoiseLayerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var layer = new NoiseLayer(identity, options);
        registry.Register(layer);
        return layer;
    }
}
