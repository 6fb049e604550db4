using System.Diagnostics.CodeAnalysis;

namespace Weft.Crypto.Keys;

/// <summary>
/// An immutable Ed25519 public key: the identity of a Weft peer. It prints as plain base64 the way multiserver
/// addresses carry it (<c>+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=</c>); parsing also accepts the
/// Scuttlebutt form <c>@KEY.ed25519</c>.
/// </summary>
public sealed class Ed25519PublicKey : IEquatable<Ed25519PublicKey>
{
    /// <summary>Size of the key in bytes (32).</summary>
    public const int Size = Ed25519.PublicKeySize;

    private const string SigilPrefix = "@";
    private const string SigilSuffix = ".ed25519";

    private readonly byte[] _bytes;

    private Ed25519PublicKey(byte[] bytes) => _bytes = bytes;

    /// <summary>Wraps a copy of 32 key bytes.</summary>
    /// <param name="publicKey">The raw key.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The input is not 32 bytes.</exception>
    public static Ed25519PublicKey FromBytes(ReadOnlySpan<byte> publicKey)
    {
        Guard.Length(publicKey, Size, nameof(publicKey));
        return new Ed25519PublicKey(publicKey.ToArray());
    }

    /// <summary>Parses base64 (standard alphabet, padded) or <c>@base64.ed25519</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">The text is not a 32-byte base64 key.</exception>
    public static Ed25519PublicKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out Ed25519PublicKey? key)
            ? key
            : throw new FormatException("Not an Ed25519 public key: expected 32 bytes in base64, optionally as @KEY.ed25519.");
    }

    /// <summary>Tries to parse base64 (standard alphabet, padded) or <c>@base64.ed25519</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="publicKey">The key, when the result is <see langword="true"/>.</param>
    /// <returns>Whether <paramref name="text"/> holds a 32-byte key.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Ed25519PublicKey? publicKey)
    {
        publicKey = null;
        if (text is null)
        {
            return false;
        }

        ReadOnlySpan<char> span = text.AsSpan().Trim();
        if (span.StartsWith(SigilPrefix, StringComparison.Ordinal))
        {
            span = span[SigilPrefix.Length..];
        }

        if (span.EndsWith(SigilSuffix, StringComparison.Ordinal))
        {
            span = span[..^SigilSuffix.Length];
        }

        // 32 bytes are 44 base64 characters with one '=' of padding.
        if (span.Length != 44)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[33];
        if (!Convert.TryFromBase64Chars(span, bytes, out int written) || written != Size)
        {
            return false;
        }

        publicKey = new Ed25519PublicKey(bytes[..Size].ToArray());
        return true;
    }

    /// <summary>The raw 32 bytes.</summary>
    /// <returns>A read-only view of the key.</returns>
    public ReadOnlySpan<byte> AsSpan() => _bytes;

    /// <summary>A copy of the raw 32 bytes.</summary>
    /// <returns>A new array.</returns>
    public byte[] ToArray() => (byte[])_bytes.Clone();

    /// <summary>The key as base64 without prefix or suffix, as in a multiserver <c>shs:KEY</c> address.</summary>
    /// <returns>44 characters of base64.</returns>
    public override string ToString() => Convert.ToBase64String(_bytes);

    /// <summary>The key in Scuttlebutt sigil form: <c>@KEY.ed25519</c>.</summary>
    /// <returns>The sigil string.</returns>
    public string ToSigilString() => SigilPrefix + ToString() + SigilSuffix;

    /// <inheritdoc/>
    public bool Equals(Ed25519PublicKey? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Ed25519PublicKey);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    /// <summary>Compares two keys by value.</summary>
    /// <param name="left">A key or null.</param>
    /// <param name="right">A key or null.</param>
    /// <returns>Whether both are null or hold the same bytes.</returns>
    public static bool operator ==(Ed25519PublicKey? left, Ed25519PublicKey? right) =>
        left is null ? right is null : left.Equals(right);

    /// <summary>Compares two keys by value.</summary>
    /// <param name="left">A key or null.</param>
    /// <param name="right">A key or null.</param>
    /// <returns>Whether the keys differ.</returns>
    public static bool operator !=(Ed25519PublicKey? left, Ed25519PublicKey? right) => !(left == right);
}
