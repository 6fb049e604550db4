using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>X25519 Diffie-Hellman (<c>crypto_scalarmult</c>, RFC 7748).</summary>
public static class X25519
{
    /// <summary>Size of a scalar (secret key) in bytes (32).</summary>
    public const int SecretKeySize = 32;

    /// <summary>Size of a point (public key) in bytes (32).</summary>
    public const int PublicKeySize = 32;

    /// <summary>Size of a shared secret in bytes (32).</summary>
    public const int SharedSecretSize = 32;

    /// <summary>Creates a fresh random key pair.</summary>
    /// <param name="secretKey">Receives the <see cref="SecretKeySize"/>-byte secret scalar.</param>
    /// <param name="publicKey">Receives the <see cref="PublicKeySize"/>-byte public point.</param>
    public static void GenerateKeyPair(Span<byte> secretKey, Span<byte> publicKey)
    {
        Guard.AtLeast(secretKey, SecretKeySize, nameof(secretKey));
        SecureRandom.Fill(secretKey[..SecretKeySize]);
        ScalarMultBase(secretKey[..SecretKeySize], publicKey);
    }

    /// <summary>Computes the public point of a secret scalar (<c>crypto_scalarmult_base</c>).</summary>
    /// <param name="secretKey">The <see cref="SecretKeySize"/>-byte scalar.</param>
    /// <param name="publicKey">Receives the <see cref="PublicKeySize"/>-byte point.</param>
    public static unsafe void ScalarMultBase(ReadOnlySpan<byte> secretKey, Span<byte> publicKey)
    {
        Guard.Length(secretKey, SecretKeySize, nameof(secretKey));
        Guard.AtLeast(publicKey, PublicKeySize, nameof(publicKey));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* n = secretKey)
        fixed (byte* q = publicKey)
        {
            if (LibSodium.crypto_scalarmult_base(q, n) != 0)
            {
                throw new CryptoException("crypto_scalarmult_base failed.");
            }
        }
    }

    /// <summary>
    /// Computes the shared secret of <paramref name="secretKey"/> and <paramref name="publicKey"/>
    /// (<c>crypto_scalarmult</c>).
    /// </summary>
    /// <param name="secretKey">Our <see cref="SecretKeySize"/>-byte scalar.</param>
    /// <param name="publicKey">The peer's <see cref="PublicKeySize"/>-byte point.</param>
    /// <param name="sharedSecret">Receives the <see cref="SharedSecretSize"/>-byte result.</param>
    /// <returns><see langword="false"/> when the peer's point has small order (the result would be all zeros).</returns>
    public static unsafe bool TryScalarMult(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        Guard.Length(secretKey, SecretKeySize, nameof(secretKey));
        Guard.Length(publicKey, PublicKeySize, nameof(publicKey));
        Guard.AtLeast(sharedSecret, SharedSecretSize, nameof(sharedSecret));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* n = secretKey)
        fixed (byte* p = publicKey)
        fixed (byte* q = sharedSecret)
        {
            return LibSodium.crypto_scalarmult(q, n, p) == 0;
        }
    }

    /// <summary>Like <see cref="TryScalarMult"/> but throws when the peer's point is unusable.</summary>
    /// <param name="secretKey">Our <see cref="SecretKeySize"/>-byte scalar.</param>
    /// <param name="publicKey">The peer's <see cref="PublicKeySize"/>-byte point.</param>
    /// <param name="sharedSecret">Receives the <see cref="SharedSecretSize"/>-byte result.</param>
    /// <exception cref="CryptoException">The peer's point has small order.</exception>
    public static void ScalarMult(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        if (!TryScalarMult(secretKey, publicKey, sharedSecret))
        {
            throw new CryptoException("X25519 failed: the public key has small order.");
        }
    }
}
