using Weft.Testing;

namespace Weft.Mux.Tests.Conformance;

/// <summary>The conformance suite on <see cref="MuxStream"/> in the gomux dialect, over an in-memory duplex connection.</summary>
public sealed class GomuxMuxStreamOverInMemoryConformanceTests : MuxStreamConformanceTests
{
    protected override MuxDialect Dialect { get; } = MuxDialect.Gomux("conformance-psk");

    /// <summary>
    /// gomux has no reset: an abort goes out as CloseStream, which the peer reads as a graceful end (EOF), exactly as
    /// gomux's own Read does. GomuxSessionTests covers what an abort does in this dialect.
    /// </summary>
    protected override bool SupportsAbort => false;

    protected override Task<(Stream Client, Stream Server)> ConnectAsync(CancellationToken cancellationToken)
    {
        var (client, server) = InMemoryDuplex.CreatePair();
        return Task.FromResult<(Stream, Stream)>((client, server));
    }
}
