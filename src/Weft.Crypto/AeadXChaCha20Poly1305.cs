using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>
/// libsodium's XChaCha20-Poly1305-IETF AEAD (<c>crypto_aead_xchacha20poly1305_ietf_*_detached</c>).
/// <see cref="XChaCha20Poly1305"/> computes the same function faster with the in-box ChaCha20-Poly1305.
/// </summary>
/// <remarks>Input and output buffers may be the same memory (in-place operation) but must not otherwise overlap.</remarks>
public static class AeadXChaCha20Poly1305
{
    /// <summary>Key size in bytes (32).</summary>
    public const int KeySize = 32;

    /// <summary>Nonce size in bytes (24); random nonces are safe.</summary>
    public const int NonceSize = 24;

    /// <summary>Tag size in bytes (16).</summary>
    public const int TagSize = 16;

    /// <summary>Encrypts with a detached tag.</summary>
    /// <param name="key">A <see cref="KeySize"/>-byte key.</param>
    /// <param name="nonce">A <see cref="NonceSize"/>-byte nonce.</param>
    /// <param name="plaintext">The message.</param>
    /// <param name="ciphertext">Receives <c>plaintext.Length</c> bytes.</param>
    /// <param name="tag">Receives the <see cref="TagSize"/>-byte tag.</param>
    /// <param name="associatedData">Data authenticated but not encrypted.</param>
    public static unsafe void EncryptDetached(
        ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> plaintext,
        Span<byte> ciphertext,
        Span<byte> tag,
        ReadOnlySpan<byte> associatedData = default)
    {
        Guard.Length(key, KeySize, nameof(key));
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.AtLeast(ciphertext, plaintext.Length, nameof(ciphertext));
        Guard.AtLeast(tag, TagSize, nameof(tag));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* k = key)
        fixed (byte* n = nonce)
        fixed (byte* m = plaintext)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        fixed (byte* ad = associatedData)
        {
            _ = LibSodium.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
                c, t, null, m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, n, k);
        }
    }

    /// <summary>Verifies the tag and decrypts.</summary>
    /// <param name="key">The <see cref="KeySize"/>-byte key.</param>
    /// <param name="nonce">The <see cref="NonceSize"/>-byte nonce.</param>
    /// <param name="ciphertext">The encrypted message.</param>
    /// <param name="tag">The <see cref="TagSize"/>-byte tag.</param>
    /// <param name="plaintext">Receives <c>ciphertext.Length</c> bytes.</param>
    /// <param name="associatedData">The associated data given to the encryption.</param>
    /// <returns><see langword="false"/> when authentication fails; <paramref name="plaintext"/> is then unspecified.</returns>
    public static unsafe bool TryDecryptDetached(
        ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> ciphertext,
        ReadOnlySpan<byte> tag,
        Span<byte> plaintext,
        ReadOnlySpan<byte> associatedData = default)
    {
        Guard.Length(key, KeySize, nameof(key));
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.Length(tag, TagSize, nameof(tag));
        Guard.AtLeast(plaintext, ciphertext.Length, nameof(plaintext));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* k = key)
        fixed (byte* n = nonce)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        {
            return LibSodium.crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
                m, null, c, (ulong)ciphertext.Length, t, ad, (ulong)associatedData.Length, n, k) == 0;
        }
    }
}
