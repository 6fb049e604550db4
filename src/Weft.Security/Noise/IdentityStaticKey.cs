using Weft.Crypto;
using Weft.Crypto.Keys;

namespace Weft.Security;

/// <summary>
/// A Weft identity used as a Noise static key: the Ed25519 key converted to X25519 (libsodium's
/// <c>crypto_sign_ed25519_*_to_curve25519</c>), so that one key file serves <c>shs</c> and <c>noise</c>.
/// </summary>
internal sealed class IdentityStaticKey : INoiseStaticKey
{
    private readonly Ed25519Identity _identity;
    private readonly byte[] _publicKey = new byte[X25519.PublicKeySize];

    internal IdentityStaticKey(Ed25519Identity identity)
    {
        _identity = identity;
        if (!Ed25519.TryPublicKeyToCurve25519(identity.PublicKey.AsSpan(), _publicKey))
        {
            throw new ArgumentException("The identity's public key is not a valid Ed25519 point.", nameof(identity));
        }
    }

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    public bool TryAgree(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret) => _identity.TryAgreeX25519(peerPublicKey, sharedSecret);
}
