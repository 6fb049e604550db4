using System.Buffers;
using System.Security.Cryptography;
using Weft.Crypto.OpenSsl;
using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>
/// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha, identical to libsodium's <c>xchacha20poly1305_ietf</c>) built
/// from HChaCha20 (libsodium) and the in-box <see cref="ChaCha20Poly1305"/>: the subkey is
/// HChaCha20(key, nonce[0..16]) and the IETF nonce is four zero bytes ‖ nonce[16..24].
/// </summary>
/// <remarks>
/// OpenSSL's ChaCha20-Poly1305 is much faster than libsodium's portable code. The subkey changes with every nonce,
/// so the in-box <see cref="ChaCha20Poly1305"/> would cost an object, a SafeHandle and a native context per
/// operation; instead each instance keeps up to two OpenSSL cipher contexts and re-keys them (no allocation per
/// operation). Without a usable libcrypto it falls back to one in-box <see cref="ChaCha20Poly1305"/> per operation,
/// and where that is not supported either, to <see cref="AeadXChaCha20Poly1305"/>. Instances are thread-safe.
/// The shape follows <see cref="ChaCha20Poly1305"/>: <see cref="Decrypt"/> throws
/// <see cref="AuthenticationTagMismatchException"/>; <see cref="TryDecrypt(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte})"/> returns <see langword="false"/>.
/// </remarks>
public sealed class XChaCha20Poly1305 : IDisposable
{
    /// <summary>Key size in bytes (32).</summary>
    public const int KeySize = 32;

    /// <summary>Nonce size in bytes (24).</summary>
    public const int NonceSize = 24;

    /// <summary>Tag size in bytes (16).</summary>
    public const int TagSize = 16;

    private readonly byte[] _key;
    private OpenSslChaCha20Poly1305.ContextCache _contexts;
    private bool _disposed;

    /// <summary>Creates an instance that holds a copy of <paramref name="key"/> (wiped on <see cref="Dispose"/>).</summary>
    /// <param name="key">A <see cref="KeySize"/>-byte key.</param>
    public XChaCha20Poly1305(ReadOnlySpan<byte> key)
    {
        Guard.Length(key, KeySize, nameof(key));
        SodiumLibrary.EnsureInitialized();
        _key = GC.AllocateArray<byte>(KeySize, pinned: true);
        key.CopyTo(_key);
    }

    /// <summary>Whether the fast in-box path is available on this platform (otherwise libsodium is used).</summary>
    public static bool IsHardwareAccelerated => OpenSslChaCha20Poly1305.IsAvailable || ChaCha20Poly1305.IsSupported;

    /// <summary>Whether operations re-use OpenSSL cipher contexts (no allocation per operation).</summary>
    internal static bool UsesOpenSslContexts => OpenSslChaCha20Poly1305.IsAvailable;

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> with a detached tag.</summary>
    /// <param name="nonce">A <see cref="NonceSize"/>-byte nonce (random nonces are safe).</param>
    /// <param name="plaintext">The message.</param>
    /// <param name="ciphertext">Receives exactly <c>plaintext.Length</c> bytes.</param>
    /// <param name="tag">Receives the <see cref="TagSize"/>-byte tag.</param>
    /// <param name="associatedData">Data authenticated but not encrypted.</param>
    public void Encrypt(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> plaintext,
        Span<byte> ciphertext,
        Span<byte> tag,
        ReadOnlySpan<byte> associatedData = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.Length(ciphertext, plaintext.Length, nameof(ciphertext));
        Guard.Length(tag, TagSize, nameof(tag));
        if (!IsHardwareAccelerated)
        {
            AeadXChaCha20Poly1305.EncryptDetached(_key, nonce, plaintext, ciphertext, tag, associatedData);
            return;
        }

        Span<byte> subkey = stackalloc byte[HChaCha20.OutputSize];
        Span<byte> ietfNonce = stackalloc byte[12];
        try
        {
            Derive(nonce, subkey, ietfNonce);
            if (OpenSslChaCha20Poly1305.IsAvailable)
            {
                nint ctx = _contexts.Rent();
                try
                {
                    if (ctx == 0 || !OpenSslChaCha20Poly1305.Encrypt(ctx, subkey, ietfNonce, plaintext, ciphertext, tag, associatedData))
                    {
                        throw new CryptographicException("OpenSSL failed to seal with ChaCha20-Poly1305.");
                    }
                }
                finally
                {
                    _contexts.Return(ctx);
                }

                return;
            }

            using var aead = new ChaCha20Poly1305(subkey);
            aead.Encrypt(ietfNonce, plaintext, ciphertext, tag, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(subkey);
        }
    }

    /// <summary>Verifies the tag and decrypts.</summary>
    /// <param name="nonce">The <see cref="NonceSize"/>-byte nonce.</param>
    /// <param name="ciphertext">The encrypted message.</param>
    /// <param name="tag">The <see cref="TagSize"/>-byte tag.</param>
    /// <param name="plaintext">Receives exactly <c>ciphertext.Length</c> bytes.</param>
    /// <param name="associatedData">The associated data given to the encryption.</param>
    /// <exception cref="AuthenticationTagMismatchException">The tag does not verify.</exception>
    public void Decrypt(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> ciphertext,
        ReadOnlySpan<byte> tag,
        Span<byte> plaintext,
        ReadOnlySpan<byte> associatedData = default)
    {
        if (!TryDecrypt(nonce, ciphertext, tag, plaintext, associatedData))
        {
            throw new AuthenticationTagMismatchException();
        }
    }

    /// <summary>Verifies the tag and decrypts, reporting failure without an exception.</summary>
    /// <param name="nonce">The <see cref="NonceSize"/>-byte nonce.</param>
    /// <param name="ciphertext">The encrypted message.</param>
    /// <param name="tag">The <see cref="TagSize"/>-byte tag.</param>
    /// <param name="plaintext">Receives exactly <c>ciphertext.Length</c> bytes; cleared on failure.</param>
    /// <param name="associatedData">The associated data given to the encryption.</param>
    /// <returns><see langword="false"/> when the tag does not verify.</returns>
    public bool TryDecrypt(
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> ciphertext,
        ReadOnlySpan<byte> tag,
        Span<byte> plaintext,
        ReadOnlySpan<byte> associatedData = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.Length(tag, TagSize, nameof(tag));
        Guard.Length(plaintext, ciphertext.Length, nameof(plaintext));
        if (!IsHardwareAccelerated)
        {
            if (AeadXChaCha20Poly1305.TryDecryptDetached(_key, nonce, ciphertext, tag, plaintext, associatedData))
            {
                return true;
            }

            plaintext.Clear();
            return false;
        }

        Span<byte> subkey = stackalloc byte[HChaCha20.OutputSize];
        Span<byte> ietfNonce = stackalloc byte[12];
        try
        {
            Derive(nonce, subkey, ietfNonce);
            if (OpenSslChaCha20Poly1305.IsAvailable)
            {
                nint ctx = _contexts.Rent();
                try
                {
                    if (ctx == 0)
                    {
                        throw new CryptographicException("OpenSSL failed to create a ChaCha20-Poly1305 context.");
                    }

                    return OpenSslChaCha20Poly1305.Decrypt(ctx, subkey, ietfNonce, ciphertext, tag, plaintext, associatedData);
                }
                finally
                {
                    _contexts.Return(ctx);
                }
            }

            using var aead = new ChaCha20Poly1305(subkey);
            aead.Decrypt(ietfNonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // The in-box AEAD already clears the plaintext on failure.
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(subkey);
        }
    }

    /// <summary>
    /// Verifies the tag and decrypts a ciphertext held in several pieces (a pipe's buffer segments) into one span,
    /// without gathering it first on the OpenSSL path.
    /// </summary>
    /// <param name="nonce">The <see cref="NonceSize"/>-byte nonce.</param>
    /// <param name="ciphertext">The encrypted message, in one or more segments.</param>
    /// <param name="tag">The <see cref="TagSize"/>-byte tag.</param>
    /// <param name="plaintext">Receives exactly <c>ciphertext.Length</c> bytes; cleared on failure. Must not overlap the ciphertext.</param>
    /// <param name="associatedData">The associated data given to the encryption.</param>
    /// <returns><see langword="false"/> when the tag does not verify.</returns>
    public bool TryDecrypt(
        ReadOnlySpan<byte> nonce,
        in ReadOnlySequence<byte> ciphertext,
        ReadOnlySpan<byte> tag,
        Span<byte> plaintext,
        ReadOnlySpan<byte> associatedData = default)
    {
        if (ciphertext.IsSingleSegment)
        {
            return TryDecrypt(nonce, ciphertext.FirstSpan, tag, plaintext, associatedData);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        Guard.Length(nonce, NonceSize, nameof(nonce));
        Guard.Length(tag, TagSize, nameof(tag));
        Guard.Length(plaintext, checked((int)ciphertext.Length), nameof(plaintext));
        if (!OpenSslChaCha20Poly1305.IsAvailable)
        {
            // Gather into the plaintext and open in place (every fallback accepts exactly overlapping buffers).
            ciphertext.CopyTo(plaintext);
            return TryDecrypt(nonce, plaintext, tag, plaintext, associatedData);
        }

        Span<byte> subkey = stackalloc byte[HChaCha20.OutputSize];
        Span<byte> ietfNonce = stackalloc byte[12];
        nint ctx = 0;
        try
        {
            Derive(nonce, subkey, ietfNonce);
            ctx = _contexts.Rent();
            if (ctx == 0)
            {
                throw new CryptographicException("OpenSSL failed to create a ChaCha20-Poly1305 context.");
            }

            return OpenSslChaCha20Poly1305.Decrypt(ctx, subkey, ietfNonce, ciphertext, tag, plaintext, associatedData);
        }
        finally
        {
            _contexts.Return(ctx);
            CryptographicOperations.ZeroMemory(subkey);
        }
    }

    /// <summary>Wipes the key.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_key);
            _contexts.Clear();
        }
    }

    private void Derive(ReadOnlySpan<byte> nonce, Span<byte> subkey, Span<byte> ietfNonce)
    {
        // draft-irtf-cfrg-xchacha §2.3: subkey = HChaCha20(key, nonce[0..16]); nonce' = 0x00000000 ‖ nonce[16..24].
        HChaCha20.DeriveSubkey(_key, nonce[..16], subkey);
        ietfNonce[..4].Clear();
        nonce[16..].CopyTo(ietfNonce[4..]);
    }
}
