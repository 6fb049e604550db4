using Weft.Testing;

namespace Weft.Mux.Tests.Conformance;

/// <summary>The conformance suite on <see cref="MuxStream"/> in the gomux dialect, over a loopback TCP connection.</summary>
public sealed class GomuxMuxStreamOverTcpConformanceTests : MuxStreamConformanceTests
{
    protected override MuxDialect Dialect { get; } = MuxDialect.Gomux("conformance-psk");

    /// <summary>
    /// gomux has no reset: an abort goes out as CloseStream, which the peer reads as a graceful end (EOF), exactly as
    /// gomux's own Read does. GomuxSessionTests covers what an abort does in this dialect.
    /// </summary>
    protected override bool SupportsAbort => false;

    protected override async Task<(Stream Client, Stream Server)> ConnectAsync(CancellationToken cancellationToken)
    {
        StreamPair tcp = await TcpPair.CreateAsync(cancellationToken);
        return (tcp.First, tcp.Second);
    }
}
