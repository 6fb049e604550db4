using Weft.Testing;

namespace Weft.Mux.Tests.Conformance;

/// <summary>The conformance suite on <see cref="MuxStream"/> over a loopback TCP connection.</summary>
public sealed class MuxStreamOverTcpConformanceTests : MuxStreamConformanceTests
{
    protected override async Task<(Stream Client, Stream Server)> ConnectAsync(CancellationToken cancellationToken)
    {
        StreamPair tcp = await TcpPair.CreateAsync(cancellationToken);
        return (tcp.First, tcp.Second);
    }
}
