using Weft.Testing;

namespace Weft.Mux.Tests.Conformance;

/// <summary>The conformance suite on <see cref="MuxStream"/> over an in-memory duplex connection.</summary>
public sealed class MuxStreamOverInMemoryConformanceTests : MuxStreamConformanceTests
{
    protected override Task<(Stream Client, Stream Server)> ConnectAsync(CancellationToken cancellationToken)
    {
        var (client, server) = InMemoryDuplex.CreatePair();
        return Task.FromResult<(Stream, Stream)>((client, server));
    }
}
