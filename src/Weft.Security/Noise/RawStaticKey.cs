using System.Security.Cryptography;
using Weft.Crypto;

namespace Weft.Security;

/// <summary>A Noise static key from a raw X25519 secret (the Noise test vectors use such keys).</summary>
internal sealed class RawStaticKey : INoiseStaticKey, IDisposable
{
    private readonly byte[] _secret = GC.AllocateArray<byte>(X25519.SecretKeySize, pinned: true);
    private readonly byte[] _publicKey = new byte[X25519.PublicKeySize];

    internal RawStaticKey(ReadOnlySpan<byte> secret)
    {
        secret.CopyTo(_secret);
        X25519.ScalarMultBase(_secret, _publicKey);
    }

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    public bool TryAgree(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret) => X25519.TryScalarMult(_secret, peerPublicKey, sharedSecret);

    public void Dispose() => CryptographicOperations.ZeroMemory(_secret);
}
