using System.Net.Sockets;

namespace Weft.Testing.Tests;

/// <summary>The conformance suite through a transparent <see cref="ChaosProxy"/>: the proxy must be a faithful TCP hop.</summary>
public class ChaosProxyConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    protected virtual ChaosProxyOptions? ProxyOptions => null;

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken) =>
        (await TcpPair.CreateThroughChaosAsync(ProxyOptions, cancellationToken)).Streams;

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
