using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Mux;
using Weft.Security.Layers;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.Security.Tests.Layers;

/// <summary>
/// The connected-stream conformance suite on the stream an <c>shs</c> address produces (a <see cref="BoxStream"/>):
/// a server registry listens on <see cref="ListenAddress"/> (e.g. <c>net:127.0.0.1:0~shs</c>), a second registry
/// with another identity dials the listener's printed address (which carries <c>~shs:SERVER_KEY</c>). Half-close is
/// the box-stream goodbye; there is no abort.
/// </summary>
public abstract class ShsLayerConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    /// <summary>Where the server listens; must end in <c>~shs</c>.</summary>
    protected abstract string ListenAddress { get; }

    internal static async Task<(TransportConnection Client, TransportConnection Server, IConnectionListener Listener)> ConnectAsync(
        string listenAddress, CancellationToken cancellationToken)
    {
        byte[] networkKey = RandomNumberGenerator.GetBytes(32);
        var serverIdentity = Ed25519Identity.Generate();
        var clientIdentity = Ed25519Identity.Generate();
        TransportRegistry serverRegistry = TransportRegistry.CreateDefault();
        serverRegistry.AddSecretHandshake(serverIdentity, networkKey, SecretHandshake.AllowAnyClient);
        TransportRegistry clientRegistry = TransportRegistry.CreateDefault();
        clientRegistry.AddSecretHandshake(clientIdentity, networkKey);
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
        Assert.IsType<BoxStream>(client.Stream);
        Assert.IsType<BoxStream>(server.Stream);
        return new StreamPair(client.Stream, server.Stream, () => listener.DisposeAsync());
    }

    protected override ValueTask CompleteWritesAsync(Stream stream) => ((IHalfCloseable)stream).CompleteWritesAsync();
}

public sealed class ShsOverNetConformanceTests : ShsLayerConformanceTests
{
    protected override string ListenAddress => "net:127.0.0.1:0~shs";
}

public sealed class ShsOverWebSocketConformanceTests : ShsLayerConformanceTests
{
    protected override string ListenAddress => "ws://127.0.0.1:0/shs~shs";

    // ClientWebSocket and Kestrel abort the WebSocket when a pending receive is cancelled.
    protected override bool UsableAfterCanceledRead => false;

    protected override long LargeTransferBytes => 8L * 1024 * 1024;
}

/// <summary>The stack <c>weft</c> uses: a yamux <see cref="MuxStream"/> over shs over TCP.</summary>
public sealed class MuxOverShsOverNetConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken)
    {
        var (clientConnection, serverConnection, listener) = await ShsLayerConformanceTests.ConnectAsync("net:127.0.0.1:0~shs", cancellationToken);
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
