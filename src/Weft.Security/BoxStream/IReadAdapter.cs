namespace Weft.Security;

/// <summary>Lets one read loop serve both the synchronous and the asynchronous <see cref="Stream"/> methods.</summary>
internal interface IReadAdapter
{
    static abstract ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken);
}
