using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Weft.Security;

/// <summary>
/// A Noise CipherState (Noise §5.1) over the in-box ChaCha20-Poly1305: a key and a 64-bit counter nonce, encoded as
/// 32 zero bits followed by the counter in little-endian (Noise §12.3). Each message uses the next nonce, so a
/// replayed, dropped or reordered message fails authentication. Not thread-safe: one direction, one user.
/// </summary>
internal sealed class NoiseCipherState : IDisposable
{
    /// <summary>The reserved nonce 2^64-1, used only by <see cref="Rekey"/> (Noise §5.1).</summary>
    private const ulong RekeyNonce = ulong.MaxValue;

    private readonly byte[] _key = GC.AllocateArray<byte>(NoiseWire.KeySize, pinned: true);
    private readonly ulong _rekeyInterval;
    private ChaCha20Poly1305 _aead;
    private ulong _nonce;
    private bool _disposed;

    /// <summary>Creates the state with key <paramref name="key"/> and nonce 0.</summary>
    /// <param name="key">The 32-byte key (copied).</param>
    /// <param name="rekeyInterval">Rekey before every message whose nonce is a non-zero multiple of this; 0 never rekeys.</param>
    internal NoiseCipherState(ReadOnlySpan<byte> key, ulong rekeyInterval = 0)
    {
        key.CopyTo(_key);
        _rekeyInterval = rekeyInterval;
        _aead = new ChaCha20Poly1305(_key);
    }

    /// <summary>The nonce the next message will use.</summary>
    internal ulong Nonce => _nonce;

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (plaintext length + 16: data then tag).</summary>
    internal void Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext)
    {
        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        _aead.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], ciphertext.Slice(plaintext.Length, NoiseWire.TagSize), associatedData);
    }

    /// <summary>
    /// Decrypts <paramref name="ciphertext"/> (data then 16-byte tag) into <paramref name="plaintext"/>, which may be the
    /// same memory as the ciphertext's data. A failure is final: the nonce is spent and the caller must give up the
    /// session (the output is zeroed by the AEAD).
    /// </summary>
    /// <returns><see langword="false"/> when the message fails authentication.</returns>
    internal bool TryDecrypt(ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        int length = ciphertext.Length - NoiseWire.TagSize;
        if (length < 0)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        try
        {
            _aead.Decrypt(nonce, ciphertext[..length], ciphertext[length..], plaintext[..length], associatedData);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Noise's <c>Rekey()</c>: k = first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zero bytes). The nonce is kept.</summary>
    internal void Rekey()
    {
        Span<byte> nonce = stackalloc byte[12];
        nonce.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], RekeyNonce);
        Span<byte> zeros = stackalloc byte[NoiseWire.KeySize];
        zeros.Clear();
        Span<byte> tag = stackalloc byte[NoiseWire.TagSize];
        _aead.Encrypt(nonce, zeros, _key, tag);
        _aead.Dispose();
        _aead = new ChaCha20Poly1305(_key);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _aead.Dispose();
            CryptographicOperations.ZeroMemory(_key);
        }
    }

    private void NextNonce(Span<byte> nonce)
    {
        if (_nonce == RekeyNonce)
        {
            // 2^64-1 messages: unreachable in practice, and the nonce must never repeat (Noise §5.1).
            throw new SecureChannelException(SecureChannelError.ProtocolViolation, "Noise nonce space exhausted; start a new session.");
        }

        if (_rekeyInterval != 0 && _nonce != 0 && _nonce % _rekeyInterval == 0)
        {
            Rekey();
        }

        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], _nonce);
        _nonce++;
    }
}
