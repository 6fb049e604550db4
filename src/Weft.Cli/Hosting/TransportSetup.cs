using Weft.Crypto.Keys;
using Weft.Security.Layers;
using Weft.Transports.Registry;

namespace Weft.Cli.Hosting;

/// <summary>
/// The ONE place where weft decides which transports and security layers its roles use: the default
/// transports (<c>net</c>, <c>unix</c>, <c>ws</c>, <c>wss</c>, <c>onion</c>) plus <c>shs</c> and <c>noise</c>, both
/// with this role's identity, the network key and the role's authorisation callback. Further layers
/// (e.g. <c>stripe</c>) are registered here.
/// </summary>
internal static class TransportSetup
{
    /// <summary>Builds a registry for one role.</summary>
    /// <param name="identity">The role's identity (kept alive by the caller for the role's lifetime).</param>
    /// <param name="networkKey">The network key (32 bytes).</param>
    /// <param name="authorize">Which peers a listener admits; null for a dial-only role (refuses every peer that dials it).</param>
    public static TransportRegistry Create(Ed25519Identity identity, byte[] networkKey, Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>>? authorize)
    {
        var registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(identity, networkKey, authorize);
        var noise = new NoiseLayerOptions { NetworkKey = networkKey };
        if (authorize is not null)
        {
            noise.Authorize = authorize;
        }

        registry.AddNoise(identity, noise);
        return registry;
    }
}
