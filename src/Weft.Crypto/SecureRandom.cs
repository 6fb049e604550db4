using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>Cryptographically secure random bytes from libsodium (<c>randombytes_buf</c>).</summary>
public static class SecureRandom
{
    /// <summary>Fills <paramref name="destination"/> with unpredictable bytes.</summary>
    /// <param name="destination">The buffer to fill.</param>
    public static unsafe void Fill(Span<byte> destination)
    {
        if (destination.IsEmpty)
        {
            return;
        }

        SodiumLibrary.EnsureInitialized();
        fixed (byte* p = destination)
        {
            LibSodium.randombytes_buf(p, (nuint)destination.Length);
        }
    }
}
