using Weft.Crypto.Keys;
using Weft.Mux;
using Weft.Security.Layers;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.Security.Tests.Noise;

/// <summary>
/// The connected-stream conformance suite on the stream a <c>noise</c> address produces (a <see cref="NoiseStream"/>):
/// a server registry listens on <see cref="ListenAddress"/>, a second registry with another identity dials the
/// listener's printed address (which carries <c>~noise:SERVER_KEY</c>). Half-close is the close message; there is no abort.
/// </summary>
public abstract class NoiseLayerConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    /// <summary>Where the server listens; must end in <c>~noise</c>.</summary>
    protected abstract string ListenAddress { get; }

    internal static async Task<(TransportConnection Client, TransportConnection Server, IConnectionListener Listener)> ConnectAsync(
        string listenAddress, CancellationToken cancellationToken)
    {
        var serverIdentity = Ed25519Identity.Generate();
        var clientIdentity = Ed25519Identity.Generate();
        TransportRegistry serverRegistry = TransportRegistry.CreateDefault();
        serverRegistry.AddNoise(serverIdentity, new NoiseLayerOptions { Authorize = NoiseHandshake.AllowAnyInitiator });
        TransportRegistry clientRegistry = TransportRegistry.CreateDefault();
        clientRegistry.AddNoise(clientIdentity);
        IConnectionListener listener = await serverRegistry.ListenAsync(Address.Parse(listenAddress), cancellationToken: cancellationToken);
        try
        {
            ValueTask<TransportConnection> accept = listener.AcceptAsync(cancellationToken);
            TransportConnection client = await clientRegistry.DialAsync(listener.Address, cancellationToken);
            TransportConnection server = await accept;
            return (client, server, listener);
        }
        catch
        {
            await listener.DisposeAsync();
            throw;
        }
    }

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken)
    {
        var (client, server, listener) = await ConnectAsync(ListenAddress, cancellationToken);
        Assert.IsType<NoiseStream>(client.Stream);
        Assert.IsType<NoiseStream>(server.Stream);
        return new StreamPair(client.Stream, server.Stream, () => listener.DisposeAsync());
    }

    protected override ValueTask CompleteWritesAsync(Stream stream) => ((IHalfCloseable)stream).CompleteWritesAsync();
}

public sealed class NoiseOverNetConformanceTests : NoiseLayerConformanceTests
{
    protected override string ListenAddress => "net:127.0.0.1:0~noise";
}

public sealed class NoiseOverWebSocketConformanceTests : NoiseLayerConformanceTests
{
    protected override string ListenAddress => "ws://127.0.0.1:0/noise~noise";

    // ClientWebSocket and Kestrel abort the WebSocket when a pending receive is cancelled.
    protected override bool UsableAfterCanceledRead => false;

    protected override long LargeTransferBytes => 8L * 1024 * 1024;
}

/// <summary>The stack <c>weft</c> will use by default: a yamux <see cref="MuxStream"/> over noise over TCP.</summary>
public sealed class MuxOverNoiseOverNetConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken)
    {
        var (clientConnection, serverConnection, listener) = await NoiseLayerConformanceTests.ConnectAsync("net:127.0.0.1:0~noise", cancellationToken);
        MuxSession client = MuxSession.CreateClient(clientConnection.Stream);
        MuxSession server = MuxSession.CreateServer(serverConnection.Stream);
        try
        {
            MuxStream opened = await client.OpenStreamAsync(cancellationToken);
            MuxStream accepted = await server.AcceptStreamAsync(cancellationToken);
            return new StreamPair(opened, accepted, async () =>
            {
                await client.DisposeAsync();
                await server.DisposeAsync();
                await listener.DisposeAsync();
            });
        }
        catch
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
            await listener.DisposeAsync();
            throw;
        }
    }

    protected override ValueTask CompleteWritesAsync(Stream stream)
    {
        ((MuxStream)stream).CompleteWrites();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask AbortAsync(Stream stream)
    {
        ((MuxStream)stream).Abort(MuxAbortDirection.Both);
        return ValueTask.CompletedTask;
    }
}
