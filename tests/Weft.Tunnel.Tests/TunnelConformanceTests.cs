using System.Net;
using System.Net.Sockets;
using Weft.Testing;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Tests.Support;

namespace Weft.Tunnel.Tests;

/// <summary>One relay chain shared by the conformance tests of a class: relay, server agent, client agent with a -L to a listener the test accepts from.</summary>
public sealed class TunnelChainFixture : IAsyncLifetime
{
    private readonly TunnelHarness _harness = new();

    public TcpListener Target { get; } = new(IPAddress.Loopback, 0);

    public IPEndPoint LocalEndPoint { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Target.Start(1024);
        var (_, _, client) = await _harness.StartChainAsync(ForwardSpec.Local(0, "office", "127.0.0.1", ((IPEndPoint)Target.LocalEndpoint).Port));
        LocalEndPoint = TunnelHarness.EndPointOf(client);
    }

    public async ValueTask DisposeAsync()
    {
        await _harness.DisposeAsync();
        Target.Stop();
    }
}

/// <summary>The connected-stream conformance suite over a tunnelled connection: application socket → client agent → relay → server agent → target socket.</summary>
public sealed class TunnelConformanceTests(TunnelChainFixture chain) : ConnectedStreamConformanceTests, IClassFixture<TunnelChainFixture>
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    protected override int TimeoutSeconds => 60;

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken)
    {
        Socket client = await TunnelHarness.ConnectAsync(chain.LocalEndPoint, cancellationToken);
        Socket server = await chain.Target.AcceptSocketAsync(cancellationToken);
        server.NoDelay = true;
        return new StreamPair(new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

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
