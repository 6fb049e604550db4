using System.Security.Cryptography;

namespace Weft.Security;

/// <summary>
/// A Noise SymmetricState (Noise §5.2) for SHA-256 and ChaCha20-Poly1305: the chaining key, the handshake hash and
/// the handshake's CipherState. HKDF is written out with the in-box HMAC-SHA-256 as Noise §4.3 defines it (the same as
/// RFC 5869 with the chaining key as salt and no info; the in-box HKDF refuses Split()'s empty input).
/// </summary>
internal sealed class NoiseSymmetricState : IDisposable
{
    private readonly byte[] _chainingKey = GC.AllocateArray<byte>(NoiseWire.KeySize, pinned: true);
    private readonly byte[] _hash = new byte[NoiseWire.KeySize];
    private NoiseCipherState? _cipher;

    /// <summary>InitializeSymmetric(protocol name) then MixHash(prologue).</summary>
    internal NoiseSymmetricState(ReadOnlySpan<byte> prologue)
    {
        // The protocol name is exactly HASHLEN bytes, so h is the name itself (§5.2).
        NoiseWire.ProtocolName.CopyTo(_hash);
        NoiseWire.ProtocolName.CopyTo(_chainingKey);
        MixHash(prologue);
    }

    /// <summary>The handshake hash h: after the handshake, a unique name of the session (channel binding, §11.2).</summary>
    internal ReadOnlySpan<byte> Hash => _hash;

    /// <summary>h = SHA-256(h ‖ data).</summary>
    internal void MixHash(ReadOnlySpan<byte> data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(_hash);
        sha.AppendData(data);
        sha.GetHashAndReset(_hash);
    }

    /// <summary>ck, k = HKDF(ck, input); the handshake cipher restarts at nonce 0 with k.</summary>
    internal void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> output = stackalloc byte[2 * NoiseWire.KeySize];
        try
        {
            Hkdf(_chainingKey, inputKeyMaterial, output);
            output[..NoiseWire.KeySize].CopyTo(_chainingKey);
            _cipher?.Dispose();
            _cipher = new NoiseCipherState(output[NoiseWire.KeySize..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// <summary>Writes ENCRYPT(k, n++, h, plaintext) (or the plaintext before any key) and mixes it into h.</summary>
    /// <returns>Bytes written: plaintext length, plus 16 once a key is set.</returns>
    internal int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int length = plaintext.Length;
        if (_cipher is null)
        {
            plaintext.CopyTo(destination);
        }
        else
        {
            _cipher.Encrypt(plaintext, _hash, destination);
            length += NoiseWire.TagSize;
        }

        MixHash(destination[..length]);
        return length;
    }

    /// <summary>Opens <paramref name="ciphertext"/> into <paramref name="plaintext"/> and mixes the ciphertext into h.</summary>
    /// <returns><see langword="false"/> when it fails authentication.</returns>
    internal bool TryDecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (_cipher is null)
        {
            ciphertext.CopyTo(plaintext);
        }
        else if (!_cipher.TryDecrypt(ciphertext, _hash, plaintext))
        {
            return false;
        }

        MixHash(ciphertext);
        return true;
    }

    /// <summary>Split(): the two transport CipherStates (initiator → responder first), each rekeying every <paramref name="rekeyInterval"/> messages.</summary>
    internal (NoiseCipherState First, NoiseCipherState Second) Split(ulong rekeyInterval)
    {
        Span<byte> output = stackalloc byte[2 * NoiseWire.KeySize];
        try
        {
            Hkdf(_chainingKey, ReadOnlySpan<byte>.Empty, output);
            return (new NoiseCipherState(output[..NoiseWire.KeySize], rekeyInterval), new NoiseCipherState(output[NoiseWire.KeySize..], rekeyInterval));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// <summary>HKDF(ck, ikm) with two outputs (Noise §4.3): temp = HMAC(ck, ikm); o1 = HMAC(temp, 0x01); o2 = HMAC(temp, o1 ‖ 0x02).</summary>
    private static void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output)
    {
        Span<byte> temp = stackalloc byte[NoiseWire.KeySize];
        Span<byte> block = stackalloc byte[NoiseWire.KeySize + 1];
        try
        {
            HMACSHA256.HashData(chainingKey, inputKeyMaterial, temp);
            block[0] = 1;
            HMACSHA256.HashData(temp, block[..1], output[..NoiseWire.KeySize]);
            output[..NoiseWire.KeySize].CopyTo(block);
            block[NoiseWire.KeySize] = 2;
            HMACSHA256.HashData(temp, block, output[NoiseWire.KeySize..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(temp);
            CryptographicOperations.ZeroMemory(block);
        }
    }

    public void Dispose()
    {
        _cipher?.Dispose();
        CryptographicOperations.ZeroMemory(_chainingKey);
    }
}
