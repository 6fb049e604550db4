using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>BLAKE2b (<c>crypto_generichash</c>, RFC 7693) with any output length from 16 to 64 bytes and an optional key.</summary>
public static class Blake2b
{
    /// <summary>Smallest output length (16).</summary>
    public const int MinHashSize = 16;

    /// <summary>Largest output length (64).</summary>
    public const int MaxHashSize = 64;

    /// <summary>Smallest non-empty key length (16).</summary>
    public const int MinKeySize = 16;

    /// <summary>Largest key length (64).</summary>
    public const int MaxKeySize = 64;

    /// <summary>Hashes <paramref name="message"/>; the output length is <c>destination.Length</c>.</summary>
    /// <param name="message">The data to hash.</param>
    /// <param name="destination">Receives the hash; its length (16..64) selects the BLAKE2b output size.</param>
    /// <param name="key">Empty for unkeyed hashing, else 16..64 bytes.</param>
    public static unsafe void Hash(ReadOnlySpan<byte> message, Span<byte> destination, ReadOnlySpan<byte> key = default)
    {
        if (destination.Length is < MinHashSize or > MaxHashSize)
        {
            throw new ArgumentException($"The hash length must be {MinHashSize}..{MaxHashSize} bytes (was {destination.Length}).", nameof(destination));
        }

        if (!key.IsEmpty && key.Length is < MinKeySize or > MaxKeySize)
        {
            throw new ArgumentException($"The key must be empty or {MinKeySize}..{MaxKeySize} bytes (was {key.Length}).", nameof(key));
        }

        SodiumLibrary.EnsureInitialized();
        fixed (byte* o = destination)
        fixed (byte* m = message)
        fixed (byte* k = key)
        {
            if (LibSodium.crypto_generichash(o, (nuint)destination.Length, m, (ulong)message.Length, k, (nuint)key.Length) != 0)
            {
                throw new CryptoException("crypto_generichash failed.");
            }
        }
    }
}
