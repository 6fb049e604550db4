using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>
/// Ed25519 signatures (<c>crypto_sign_ed25519_*</c>, RFC 8032) and the conversion of Ed25519 keys to
/// X25519 keys that secret-handshake needs. The secret key is libsodium's 64-byte form: seed ‖ public key.
/// </summary>
public static class Ed25519
{
    /// <summary>Size of a seed in bytes (32).</summary>
    public const int SeedSize = 32;

    /// <summary>Size of a public key in bytes (32).</summary>
    public const int PublicKeySize = 32;

    /// <summary>Size of a libsodium secret key (seed ‖ public key) in bytes (64).</summary>
    public const int SecretKeySize = 64;

    /// <summary>Size of a signature in bytes (64).</summary>
    public const int SignatureSize = 64;

    /// <summary>Derives the key pair of a seed (<c>crypto_sign_ed25519_seed_keypair</c>).</summary>
    /// <param name="seed">The <see cref="SeedSize"/>-byte seed.</param>
    /// <param name="publicKey">Receives the <see cref="PublicKeySize"/>-byte public key.</param>
    /// <param name="secretKey">Receives the <see cref="SecretKeySize"/>-byte secret key.</param>
    public static unsafe void SeedKeyPair(ReadOnlySpan<byte> seed, Span<byte> publicKey, Span<byte> secretKey)
    {
        Guard.Length(seed, SeedSize, nameof(seed));
        Guard.AtLeast(publicKey, PublicKeySize, nameof(publicKey));
        Guard.AtLeast(secretKey, SecretKeySize, nameof(secretKey));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* s = seed)
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
        {
            if (LibSodium.crypto_sign_ed25519_seed_keypair(pk, sk, s) != 0)
            {
                throw new CryptoException("crypto_sign_ed25519_seed_keypair failed.");
            }
        }
    }

    /// <summary>Signs <paramref name="message"/> (<c>crypto_sign_ed25519_detached</c>).</summary>
    /// <param name="message">The data to sign.</param>
    /// <param name="secretKey">The <see cref="SecretKeySize"/>-byte secret key.</param>
    /// <param name="signature">Receives the <see cref="SignatureSize"/>-byte signature.</param>
    public static unsafe void Sign(ReadOnlySpan<byte> message, ReadOnlySpan<byte> secretKey, Span<byte> signature)
    {
        Guard.Length(secretKey, SecretKeySize, nameof(secretKey));
        Guard.AtLeast(signature, SignatureSize, nameof(signature));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* m = message)
        fixed (byte* sk = secretKey)
        fixed (byte* sig = signature)
        {
            if (LibSodium.crypto_sign_ed25519_detached(sig, null, m, (ulong)message.Length, sk) != 0)
            {
                throw new CryptoException("crypto_sign_ed25519_detached failed.");
            }
        }
    }

    /// <summary>Verifies a detached signature (<c>crypto_sign_ed25519_verify_detached</c>).</summary>
    /// <param name="signature">The <see cref="SignatureSize"/>-byte signature.</param>
    /// <param name="message">The signed data.</param>
    /// <param name="publicKey">The signer's <see cref="PublicKeySize"/>-byte public key.</param>
    /// <returns><see langword="true"/> when the signature is valid.</returns>
    public static unsafe bool Verify(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message, ReadOnlySpan<byte> publicKey)
    {
        if (signature.Length != SignatureSize)
        {
            return false;
        }

        Guard.Length(publicKey, PublicKeySize, nameof(publicKey));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* sig = signature)
        fixed (byte* m = message)
        fixed (byte* pk = publicKey)
        {
            return LibSodium.crypto_sign_ed25519_verify_detached(sig, m, (ulong)message.Length, pk) == 0;
        }
    }

    /// <summary>Converts an Ed25519 public key to the X25519 public key of the same secret.</summary>
    /// <param name="ed25519PublicKey">The <see cref="PublicKeySize"/>-byte Ed25519 key.</param>
    /// <param name="x25519PublicKey">Receives the 32-byte X25519 key.</param>
    /// <returns><see langword="false"/> when the input is not a valid Ed25519 point.</returns>
    public static unsafe bool TryPublicKeyToCurve25519(ReadOnlySpan<byte> ed25519PublicKey, Span<byte> x25519PublicKey)
    {
        Guard.Length(ed25519PublicKey, PublicKeySize, nameof(ed25519PublicKey));
        Guard.AtLeast(x25519PublicKey, X25519.PublicKeySize, nameof(x25519PublicKey));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* ed = ed25519PublicKey)
        fixed (byte* curve = x25519PublicKey)
        {
            return LibSodium.crypto_sign_ed25519_pk_to_curve25519(curve, ed) == 0;
        }
    }

    /// <summary>Converts an Ed25519 secret key to the matching X25519 secret scalar.</summary>
    /// <param name="ed25519SecretKey">The <see cref="SecretKeySize"/>-byte Ed25519 secret key.</param>
    /// <param name="x25519SecretKey">Receives the 32-byte X25519 scalar.</param>
    public static unsafe void SecretKeyToCurve25519(ReadOnlySpan<byte> ed25519SecretKey, Span<byte> x25519SecretKey)
    {
        Guard.Length(ed25519SecretKey, SecretKeySize, nameof(ed25519SecretKey));
        Guard.AtLeast(x25519SecretKey, X25519.SecretKeySize, nameof(x25519SecretKey));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* ed = ed25519SecretKey)
        fixed (byte* curve = x25519SecretKey)
        {
            if (LibSodium.crypto_sign_ed25519_sk_to_curve25519(curve, ed) != 0)
            {
                throw new CryptoException("crypto_sign_ed25519_sk_to_curve25519 failed.");
            }
        }
    }
}
