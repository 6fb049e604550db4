using System.Runtime.CompilerServices;

namespace Weft.Mux.Protocol;

/// <summary>One decoded gomux frame header (the 36 bytes that are also the frame's associated data).</summary>
/// <param name="StreamId">The stream the frame belongs to; 0 for Keepalive and CloseMux.</param>
/// <param name="Length">Payload bytes for Data, send credit for WindowUpdate, 0 for every other type.</param>
/// <param name="Type">The frame type (the header's flags word).</param>
/// <param name="Nonce">The frame's 24-byte XChaCha20 nonce.</param>
public readonly record struct GomuxHeader(uint StreamId, uint Length, GomuxFrameType Type, GomuxNonce Nonce)
{
    /// <summary>Number of plaintext payload bytes the frame carries (only Data frames carry any).</summary>
    public int PayloadLength => Type == GomuxFrameType.Data ? (int)Length : 0;

    /// <summary>Bytes the whole frame occupies on the wire: header, payload ciphertext and tag.</summary>
    public int WireLength => GomuxConstants.HeaderSize + PayloadLength + GomuxConstants.TagSize;

    /// <inheritdoc />
    public override string ToString() => $"{Type}(id={StreamId}, length={Length}, nonce={Nonce})";
}

/// <summary>A 24-byte gomux frame nonce, held by value so a header costs no allocation.</summary>
public readonly struct GomuxNonce : IEquatable<GomuxNonce>
{
    private readonly NonceBytes _bytes;

    /// <summary>Copies a nonce.</summary>
    /// <param name="bytes">Exactly <see cref="GomuxConstants.NonceSize"/> bytes.</param>
    public GomuxNonce(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != GomuxConstants.NonceSize)
        {
            throw new ArgumentException($"a gomux nonce is {GomuxConstants.NonceSize} bytes", nameof(bytes));
        }

        bytes.CopyTo(_bytes);
    }

    /// <summary>Copies the nonce into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="GomuxConstants.NonceSize"/> bytes.</param>
    public void CopyTo(Span<byte> destination)
    {
        ReadOnlySpan<byte> bytes = _bytes;
        bytes.CopyTo(destination);
    }

    /// <summary>The nonce as a new array.</summary>
    /// <returns>24 bytes.</returns>
    public byte[] ToArray()
    {
        ReadOnlySpan<byte> bytes = _bytes;
        return bytes.ToArray();
    }

    /// <inheritdoc />
    public bool Equals(GomuxNonce other)
    {
        ReadOnlySpan<byte> mine = _bytes;
        ReadOnlySpan<byte> theirs = other._bytes;
        return mine.SequenceEqual(theirs);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is GomuxNonce other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        ReadOnlySpan<byte> bytes = _bytes;
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }

    /// <summary>The nonce as lower-case hex.</summary>
    /// <returns>48 hex digits.</returns>
    public override string ToString()
    {
        ReadOnlySpan<byte> bytes = _bytes;
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Whether two nonces are equal.</summary>
    /// <param name="left">One nonce.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when all 24 bytes match.</returns>
    public static bool operator ==(GomuxNonce left, GomuxNonce right) => left.Equals(right);

    /// <summary>Whether two nonces differ.</summary>
    /// <param name="left">One nonce.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when any byte differs.</returns>
    public static bool operator !=(GomuxNonce left, GomuxNonce right) => !left.Equals(right);

    [InlineArray(GomuxConstants.NonceSize)]
    private struct NonceBytes
    {
        private byte _element0;
    }
}
