namespace Weft.Crypto.Sodium;

/// <summary>HChaCha20 (<c>crypto_core_hchacha20</c>): derives the XChaCha20 subkey from a key and 16 nonce bytes.</summary>
internal static class HChaCha20
{
    internal const int KeySize = 32;
    internal const int InputSize = 16;
    internal const int OutputSize = 32;

    internal static unsafe void DeriveSubkey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> subkey)
    {
        Guard.Length(key, KeySize, nameof(key));
        Guard.Length(input, InputSize, nameof(input));
        Guard.AtLeast(subkey, OutputSize, nameof(subkey));
        SodiumLibrary.EnsureInitialized();
        fixed (byte* k = key)
        fixed (byte* i = input)
        fixed (byte* o = subkey)
        {
            _ = LibSodium.crypto_core_hchacha20(o, i, k, null);
        }
    }
}
