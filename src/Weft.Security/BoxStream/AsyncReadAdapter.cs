namespace Weft.Security;

/// <summary>Reads asynchronously.</summary>
internal readonly struct AsyncReadAdapter : IReadAdapter
{
    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) =>
        stream.ReadAsync(buffer, cancellationToken);
}
