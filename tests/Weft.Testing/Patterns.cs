using System.Security.Cryptography;

namespace Weft.Testing;

/// <summary>
/// Deterministic, non-repeating byte patterns and SHA-256 helpers for transfer tests.
/// </summary>
/// <remarks>
/// The byte at absolute position <c>p</c> of the pattern with a given seed is a pure function of
/// <c>(seed, p)</c> (SplitMix64 of the 8-byte block index), so a receiver can verify any slice
/// without holding the whole transfer, and a shifted, duplicated or reordered chunk never matches
/// (unlike a short repeating pattern such as <c>i % 256</c>).
/// </remarks>
public static class Patterns
{
    /// <summary>Creates a new array holding <paramref name="length"/> pattern bytes starting at position 0.</summary>
    /// <param name="length">Number of bytes.</param>
    /// <param name="seed">Pattern seed; different seeds give unrelated patterns.</param>
    /// <returns>The pattern bytes.</returns>
    public static byte[] Create(int length, int seed = 0)
    {
        var bytes = new byte[length];
        Fill(bytes, 0, seed);
        return bytes;
    }

    /// <summary>Fills <paramref name="destination"/> with the pattern bytes starting at absolute position <paramref name="offset"/>.</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="offset">Absolute position in the pattern of <c>destination[0]</c>.</param>
    /// <param name="seed">Pattern seed.</param>
    public static void Fill(Span<byte> destination, long offset = 0, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ulong block = 0;
        bool haveBlock = false;
        for (int i = 0; i < destination.Length; i++)
        {
            long position = offset + i;
            if (!haveBlock || (position & 7) == 0)
            {
                block = Block(position >> 3, seed);
                haveBlock = true;
            }

            destination[i] = (byte)(block >> (int)((position & 7) * 8));
        }
    }

    /// <summary>Returns the pattern byte at absolute position <paramref name="position"/>.</summary>
    /// <param name="position">Absolute position in the pattern.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <returns>The byte.</returns>
    public static byte At(long position, int seed = 0) => (byte)(Block(position >> 3, seed) >> (int)((position & 7) * 8));

    /// <summary>Finds the first byte of <paramref name="actual"/> that differs from the pattern.</summary>
    /// <param name="actual">Bytes received.</param>
    /// <param name="offset">Absolute pattern position of <c>actual[0]</c>.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <returns>The index into <paramref name="actual"/> of the first mismatch, or -1 when all bytes match.</returns>
    public static int FindMismatch(ReadOnlySpan<byte> actual, long offset = 0, int seed = 0)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] != At(offset + i, seed))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Asserts that <paramref name="actual"/> equals the pattern at <paramref name="offset"/>, naming the first differing position.</summary>
    /// <param name="actual">Bytes received.</param>
    /// <param name="offset">Absolute pattern position of <c>actual[0]</c>.</param>
    /// <param name="seed">Pattern seed.</param>
    public static void AssertMatches(ReadOnlySpan<byte> actual, long offset = 0, int seed = 0)
    {
        int mismatch = FindMismatch(actual, offset, seed);
        if (mismatch >= 0)
        {
            Assert.Fail($"Byte at pattern position {offset + mismatch} (index {mismatch} of {actual.Length}) is 0x{actual[mismatch]:x2}, expected 0x{At(offset + mismatch, seed):x2}.");
        }
    }

    /// <summary>SHA-256 of <paramref name="data"/>.</summary>
    /// <param name="data">The bytes to hash.</param>
    /// <returns>The 32-byte hash.</returns>
    public static byte[] Sha256(ReadOnlySpan<byte> data) => SHA256.HashData(data);

    /// <summary>SHA-256 of the first <paramref name="length"/> bytes of the pattern with <paramref name="seed"/>.</summary>
    /// <param name="length">Number of pattern bytes.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <returns>The 32-byte hash.</returns>
    public static byte[] Sha256OfPattern(long length, int seed = 0)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[64 * 1024];
        for (long position = 0; position < length; position += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, length - position);
            Fill(chunk.AsSpan(0, n), position, seed);
            hash.AppendData(chunk, 0, n);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Writes <paramref name="length"/> pattern bytes to <paramref name="stream"/> in writes of at most
    /// <paramref name="chunkSize"/> bytes, flushing at the end, and returns their SHA-256.
    /// </summary>
    /// <param name="stream">Destination.</param>
    /// <param name="length">Number of bytes to write.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <param name="chunkSize">Largest single write.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>SHA-256 of the bytes written.</returns>
    public static async Task<byte[]> WriteAsync(Stream stream, long length, int seed = 0, int chunkSize = 64 * 1024, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[(int)Math.Min(chunkSize, Math.Max(1, length))];
        for (long position = 0; position < length; position += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, length - position);
            Fill(chunk.AsSpan(0, n), position, seed);
            hash.AppendData(chunk, 0, n);
            await stream.WriteAsync(chunk.AsMemory(0, n), cancellationToken);
        }

        await stream.FlushAsync(cancellationToken);
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Reads <paramref name="stream"/> until end of stream (a read returning 0) or until
    /// <paramref name="maxLength"/> bytes, and returns how many bytes were read and their SHA-256.
    /// </summary>
    /// <param name="stream">Source.</param>
    /// <param name="maxLength">Stop after this many bytes without waiting for end of stream; -1 reads to end of stream.</param>
    /// <param name="bufferSize">Size of each read.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>Byte count and SHA-256 of the bytes read.</returns>
    public static async Task<(long Length, byte[] Sha256)> ReadAndHashAsync(Stream stream, long maxLength = -1, int bufferSize = 64 * 1024, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[bufferSize];
        long total = 0;
        while (maxLength < 0 || total < maxLength)
        {
            int want = maxLength < 0 ? buffer.Length : (int)Math.Min(buffer.Length, maxLength - total);
            int n = await stream.ReadAsync(buffer.AsMemory(0, want), cancellationToken);
            if (n == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, n);
            total += n;
        }

        return (total, hash.GetHashAndReset());
    }

    private static ulong Block(long blockIndex, int seed)
    {
        // SplitMix64 over (seed, block): cheap, well mixed, and different for every block.
        ulong z = unchecked((ulong)blockIndex + ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
