using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>
/// XSalsa20-Poly1305 authenticated encryption (<c>crypto_secretbox_*</c>), in the "easy" form
/// (ciphertext = MAC ‖ encrypted message) and the detached form (MAC kept apart).
/// </summary>
/// <remarks>Input and output buffers may be the same memory (in-place operation) but must not otherwise overlap.</remarks>
public static class SecretBox
{
    /// <summary>Key size in bytes (32).</summary>
    public const int KeySize = 32;

    /// <summary>Nonce size in bytes (24).</summary>
    public const int NonceSize = 24;

    /// <summary>MAC size in bytes (16).</summary>
    public const int MacSize = 16;

    /// <summary>Encrypts to MAC ‖ ciphertext (<c>crypto_secretbox_easy</c>).</summary>
    /// <param name="plaintext">The message.</param>
    /// <param name="nonce">A <see cref="NonceSize"/>-byte nonce, never reused with the same key.</param>
    /// <param name="key">A <see cref="KeySize"/>-byte key.</param>
    /// <param name="ciphertext">Receives <c>plaintext.Length + MacSize</c> bytes.</param>
    public static unsafe void Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> ciphertext)
    {
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.Length(key, KeySize, nameof(key));
        Guard.AtLeast(ciphertext, plaintext.Length + MacSize, nameof(ciphertext));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* m = plaintext)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        fixed (byte* c = ciphertext)
        {
            _ = LibSodium.crypto_secretbox_easy(c, m, (ulong)plaintext.Length, n, k);
        }
    }

    /// <summary>Authenticates and decrypts MAC ‖ ciphertext (<c>crypto_secretbox_open_easy</c>).</summary>
    /// <param name="ciphertext">MAC ‖ encrypted message, at least <see cref="MacSize"/> bytes.</param>
    /// <param name="nonce">The <see cref="NonceSize"/>-byte nonce used to encrypt.</param>
    /// <param name="key">The <see cref="KeySize"/>-byte key.</param>
    /// <param name="plaintext">Receives <c>ciphertext.Length - MacSize</c> bytes.</param>
    /// <returns><see langword="false"/> when the MAC does not verify; <paramref name="plaintext"/> is then unspecified.</returns>
    public static unsafe bool TryDecrypt(ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> plaintext)
    {
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.Length(key, KeySize, nameof(key));
        if (ciphertext.Length < MacSize)
        {
            return false;
        }

        Guard.AtLeast(plaintext, ciphertext.Length - MacSize, nameof(plaintext));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* c = ciphertext)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        fixed (byte* m = plaintext)
        {
            return LibSodium.crypto_secretbox_open_easy(m, c, (ulong)ciphertext.Length, n, k) == 0;
        }
    }

    /// <summary>Encrypts with a detached MAC (<c>crypto_secretbox_detached</c>).</summary>
    /// <param name="plaintext">The message.</param>
    /// <param name="nonce">A <see cref="NonceSize"/>-byte nonce, never reused with the same key.</param>
    /// <param name="key">A <see cref="KeySize"/>-byte key.</param>
    /// <param name="ciphertext">Receives <c>plaintext.Length</c> bytes.</param>
    /// <param name="mac">Receives the <see cref="MacSize"/>-byte MAC.</param>
    public static unsafe void EncryptDetached(
        ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> ciphertext, Span<byte> mac)
    {
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.Length(key, KeySize, nameof(key));
        Guard.AtLeast(ciphertext, plaintext.Length, nameof(ciphertext));
        Guard.AtLeast(mac, MacSize, nameof(mac));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* m = plaintext)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        fixed (byte* c = ciphertext)
        fixed (byte* a = mac)
        {
            _ = LibSodium.crypto_secretbox_detached(c, a, m, (ulong)plaintext.Length, n, k);
        }
    }

    /// <summary>Authenticates and decrypts with a detached MAC (<c>crypto_secretbox_open_detached</c>).</summary>
    /// <param name="ciphertext">The encrypted message.</param>
    /// <param name="mac">The <see cref="MacSize"/>-byte MAC.</param>
    /// <param name="nonce">The <see cref="NonceSize"/>-byte nonce used to encrypt.</param>
    /// <param name="key">The <see cref="KeySize"/>-byte key.</param>
    /// <param name="plaintext">Receives <c>ciphertext.Length</c> bytes.</param>
    /// <returns><see langword="false"/> when the MAC does not verify; <paramref name="plaintext"/> is then unspecified.</returns>
    public static unsafe bool TryDecryptDetached(
        ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> mac, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> plaintext)
    {
        Guard.Length(mac, MacSize, nameof(mac));
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.Length(key, KeySize, nameof(key));
        Guard.AtLeast(plaintext, ciphertext.Length, nameof(plaintext));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* c = ciphertext)
        fixed (byte* a = mac)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        fixed (byte* m = plaintext)
        {
            return LibSodium.crypto_secretbox_open_detached(m, c, a, (ulong)ciphertext.Length, n, k) == 0;
        }
    }
}
