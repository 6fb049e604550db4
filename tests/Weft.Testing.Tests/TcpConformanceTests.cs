using System.Net.Sockets;

namespace Weft.Testing.Tests;

/// <summary>The conformance suite on plain loopback TCP: the reference every Weft stream is held to.</summary>
public sealed class TcpConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    protected override Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken) =>
        TcpPair.CreateAsync(cancellationToken);

    protected override ValueTask CompleteWritesAsync(Stream stream)
    {
        ((NetworkStream)stream).Socket.Shutdown(SocketShutdown.Send);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask AbortAsync(Stream stream)
    {
        TcpPair.Reset(((NetworkStream)stream).Socket);
        return ValueTask.CompletedTask;
    }
}
