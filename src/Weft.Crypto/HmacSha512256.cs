using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>
/// HMAC-SHA-512 truncated to 256 bits: libsodium's <c>crypto_auth</c>, the MAC that secret-handshake uses
/// with the network key.
/// </summary>
public static class HmacSha512256
{
    /// <summary>Key size in bytes (32).</summary>
    public const int KeySize = 32;

    /// <summary>MAC size in bytes (32).</summary>
    public const int MacSize = 32;

    /// <summary>Computes the MAC of <paramref name="message"/>.</summary>
    /// <param name="message">The data to authenticate.</param>
    /// <param name="key">A <see cref="KeySize"/>-byte key.</param>
    /// <param name="mac">Receives the first <see cref="MacSize"/> bytes: the MAC.</param>
    public static unsafe void Compute(ReadOnlySpan<byte> message, ReadOnlySpan<byte> key, Span<byte> mac)
    {
        Guard.Length(key, KeySize, nameof(key));
        Guard.AtLeast(mac, MacSize, nameof(mac));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* m = message)
        fixed (byte* k = key)
        fixed (byte* o = mac)
        {
            _ = LibSodium.crypto_auth(o, m, (ulong)message.Length, k);
        }
    }

    /// <summary>Checks a MAC in constant time.</summary>
    /// <param name="mac">The <see cref="MacSize"/>-byte MAC to check.</param>
    /// <param name="message">The data it claims to authenticate.</param>
    /// <param name="key">A <see cref="KeySize"/>-byte key.</param>
    /// <returns><see langword="true"/> when the MAC is valid.</returns>
    public static unsafe bool Verify(ReadOnlySpan<byte> mac, ReadOnlySpan<byte> message, ReadOnlySpan<byte> key)
    {
        Guard.Length(key, KeySize, nameof(key));
        Guard.Length(mac, MacSize, nameof(mac));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* h = mac)
        fixed (byte* m = message)
        fixed (byte* k = key)
        {
            return LibSodium.crypto_auth_verify(h, m, (ulong)message.Length, k) == 0;
        }
    }
}
