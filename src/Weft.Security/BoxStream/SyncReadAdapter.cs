namespace Weft.Security;

/// <summary>Reads synchronously; every returned task is already complete.</summary>
internal readonly struct SyncReadAdapter : IReadAdapter
{
    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) =>
        new(stream.Read(buffer.Span));
}
