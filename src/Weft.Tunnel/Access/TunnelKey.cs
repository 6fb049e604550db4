using System.Diagnostics.CodeAnalysis;

namespace Weft.Tunnel.Access;

/// <summary>
/// Peer keys as the tunnel layer sees them: the base64 Ed25519 public ids that <c>shs</c> prints
/// (<c>+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=</c>), optionally written as <c>@KEY.ed25519</c>.
/// The tunnel never sees private keys; the security layer in the transport registry proves these ids.
/// </summary>
public static class TunnelKey
{
    /// <summary>Bytes in a key.</summary>
    public const int Size = 32;

    /// <summary>Brings a key to its canonical form (plain base64, no sigil, no whitespace).</summary>
    /// <param name="text">The key as written in a config file or on the command line.</param>
    /// <param name="key">The canonical key when the result is true.</param>
    /// <returns>True when <paramref name="text"/> is 32 bytes of base64.</returns>
    public static bool TryNormalize([NotNullWhen(true)] string? text, [NotNullWhen(true)] out string? key)
    {
        key = null;
        if (text is null)
        {
            return false;
        }

        string trimmed = text.Trim();
        if (trimmed.StartsWith('@') && trimmed.EndsWith(".ed25519", StringComparison.Ordinal))
        {
            trimmed = trimmed[1..^".ed25519".Length];
        }

        Span<byte> bytes = stackalloc byte[Size + 3];
        if (!Convert.TryFromBase64String(trimmed, bytes, out int written) || written != Size)
        {
            return false;
        }

        key = Convert.ToBase64String(bytes[..Size]);
        return true;
    }

    /// <summary>Brings a key to its canonical form, or throws.</summary>
    /// <param name="text">The key.</param>
    /// <param name="what">What the key is for, used in the error message (for example "relay ACL rule 3").</param>
    /// <returns>The canonical key.</returns>
    /// <exception cref="FormatException">Not 32 bytes of base64.</exception>
    public static string Normalize(string? text, string what)
    {
        if (TryNormalize(text, out string? key))
        {
            return key;
        }

        throw new FormatException($"{what}: '{text}' is not a public key (expected 32 bytes in base64, as 'weft keygen' prints, or '*' where any key is allowed).");
    }

    /// <summary>Decodes a canonical key into <paramref name="destination"/>.</summary>
    internal static void Write(string key, Span<byte> destination)
    {
        if (!Convert.TryFromBase64String(key, destination, out int written) || written != Size)
        {
            throw new FormatException("not a canonical key");
        }
    }
}
