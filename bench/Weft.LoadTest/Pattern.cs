namespace Weft.LoadTest;

/// <summary>
/// The interop pattern (byte i of stream k is (i*7 + k*13 + 3) mod 251), precomputed once per stream and
/// sliced, as the Go peer does, so that generating it costs a copy and not a division per byte.
/// </summary>
internal sealed class Pattern
{
    public const int ChunkSize = 64 * 1024;

    private readonly byte[] _bytes = new byte[ChunkSize + 251];

    public Pattern(int k)
    {
        for (int i = 0; i < _bytes.Length; i++)
        {
            _bytes[i] = (byte)(((i * 7) + (k * 13) + 3) % 251);
        }
    }

    public ReadOnlyMemory<byte> Slice(long offset, int count) => _bytes.AsMemory((int)(offset % 251), count);
}
