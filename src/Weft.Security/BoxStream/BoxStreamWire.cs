using System.Buffers.Binary;
using Weft.Crypto;

namespace Weft.Security;

/// <summary>
/// The box-stream codec (DESIGN.md "secret-handshake (shs1) and box-stream"; Scuttlebutt protocol guide "Box
/// stream"). Pure functions over spans; the caller owns the 24-byte big-endian nonce counter N, which advances by
/// 2 per chunk.
/// <code>
/// chunk (1..4096 plaintext bytes), nonce N:
///   +------------------------------------------+-----------------------------+
///   | header: secretbox_N(len u16 BE ‖ mac[16]) | body: XSalsa20(chunk, N+1)  |
///   |                 34 bytes                 |  len bytes (MAC in header)  |
///   +------------------------------------------+-----------------------------+
/// goodbye, nonce N: secretbox_N(18 zero bytes) = 34 bytes, then nothing.
/// </code>
/// </summary>
internal static class BoxStreamWire
{
    /// <summary>Largest plaintext per chunk.</summary>
    internal const int MaxChunkSize = 4096;

    /// <summary>Plaintext header: body length (u16 big-endian) ‖ body MAC (16).</summary>
    internal const int HeaderPlainSize = 2 + SecretBox.MacSize;

    /// <summary>Encrypted header: the plaintext header plus its own MAC.</summary>
    internal const int HeaderSize = HeaderPlainSize + SecretBox.MacSize;

    /// <summary>Largest encoded chunk.</summary>
    internal const int MaxFrameSize = HeaderSize + MaxChunkSize;

    /// <summary>Size of the counter nonce.</summary>
    internal const int NonceSize = SecretBox.NonceSize;

    /// <summary>Encodes one chunk into <paramref name="destination"/> and advances <paramref name="nonce"/> by 2.</summary>
    /// <returns>The number of bytes written: <see cref="HeaderSize"/> + <c>chunk.Length</c>.</returns>
    internal static int EncodeChunk(ReadOnlySpan<byte> chunk, Span<byte> nonce, ReadOnlySpan<byte> key, Span<byte> destination)
    {
        if (chunk.IsEmpty || chunk.Length > MaxChunkSize)
        {
            throw new ArgumentOutOfRangeException(nameof(chunk), chunk.Length, "A box-stream chunk holds 1..4096 bytes.");
        }

        Span<byte> headerPlain = stackalloc byte[HeaderPlainSize];
        Span<byte> bodyNonce = stackalloc byte[NonceSize];
        nonce.CopyTo(bodyNonce);
        Increment(bodyNonce);

        BinaryPrimitives.WriteUInt16BigEndian(headerPlain, (ushort)chunk.Length);
        SecretBox.EncryptDetached(chunk, bodyNonce, key, destination.Slice(HeaderSize, chunk.Length), headerPlain[2..]);
        SecretBox.Encrypt(headerPlain, nonce, key, destination[..HeaderSize]);
        Increment(nonce);
        Increment(nonce);
        return HeaderSize + chunk.Length;
    }

    /// <summary>Encodes the goodbye (end of stream) with the current nonce.</summary>
    internal static void EncodeGoodbye(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> destination)
    {
        Span<byte> zeros = stackalloc byte[HeaderPlainSize];
        zeros.Clear();
        SecretBox.Encrypt(zeros, nonce, key, destination[..HeaderSize]);
    }

    /// <summary>Opens a header with the current nonce (which it does not advance).</summary>
    /// <param name="header">The <see cref="HeaderSize"/> encrypted header bytes.</param>
    /// <param name="nonce">The current nonce N.</param>
    /// <param name="key">The decryption key.</param>
    /// <param name="bodyLength">The body length, for <see cref="HeaderStatus.Chunk"/>.</param>
    /// <param name="bodyMac">Receives the body MAC, for <see cref="HeaderStatus.Chunk"/>.</param>
    internal static HeaderStatus DecodeHeader(
        ReadOnlySpan<byte> header, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, out int bodyLength, Span<byte> bodyMac)
    {
        bodyLength = 0;
        Span<byte> headerPlain = stackalloc byte[HeaderPlainSize];
        if (!SecretBox.TryDecrypt(header[..HeaderSize], nonce, key, headerPlain))
        {
            return HeaderStatus.Tampered;
        }

        if (!headerPlain.ContainsAnyExcept((byte)0))
        {
            return HeaderStatus.Goodbye;
        }

        bodyLength = BinaryPrimitives.ReadUInt16BigEndian(headerPlain);
        if (bodyLength is 0 or > MaxChunkSize)
        {
            return HeaderStatus.Invalid;
        }

        headerPlain[2..].CopyTo(bodyMac);
        return HeaderStatus.Chunk;
    }

    /// <summary>Opens a body with nonce N+1 and, on success, advances <paramref name="nonce"/> by 2.</summary>
    internal static bool TryDecodeBody(
        ReadOnlySpan<byte> body, ReadOnlySpan<byte> bodyMac, Span<byte> nonce, ReadOnlySpan<byte> key, Span<byte> plaintext)
    {
        Span<byte> bodyNonce = stackalloc byte[NonceSize];
        nonce.CopyTo(bodyNonce);
        Increment(bodyNonce);
        if (!SecretBox.TryDecryptDetached(body, bodyMac, bodyNonce, key, plaintext))
        {
            return false;
        }

        Increment(nonce);
        Increment(nonce);
        return true;
    }

    /// <summary>Adds one to a big-endian counter (wrapping, as libsodium's <c>sodium_increment</c> on a reversed array).</summary>
    internal static void Increment(Span<byte> counter)
    {
        for (int i = counter.Length - 1; i >= 0; i--)
        {
            if (++counter[i] != 0)
            {
                return;
            }
        }
    }
}
