namespace Weft.Testing.Tests;

/// <summary>The conformance suite on <see cref="InMemoryDuplex"/>.</summary>
public sealed class InMemoryDuplexConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    protected override Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken) =>
        Task.FromResult(InMemoryDuplex.CreateStreamPair());

    protected override ValueTask CompleteWritesAsync(Stream stream) => ((InMemoryDuplexStream)stream).CompleteWritesAsync();

    protected override ValueTask AbortAsync(Stream stream)
    {
        ((InMemoryDuplexStream)stream).Abort();
        return ValueTask.CompletedTask;
    }
}
