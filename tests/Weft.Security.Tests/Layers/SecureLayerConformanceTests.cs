using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Mux;
using Weft.Security.Layers;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.Security.Tests.Layers;

/// <summary>
/// The connected-stream conformance suite on the stream a secure address produces: a server registry listens on
/// <see cref="ListenAddress"/> (e.g. <c>net:127.0.0.1:0~noise</c>), a second registry with another identity dials the
/// listener's printed address (which carries <c>~LAYER:SERVER_KEY</c>). Both registries know <c>shs</c> and
/// <c>noise</c>, so the address alone picks the layer. Half-close is the layer's close message; there is no abort.
/// </summary>
public abstract class SecureLayerConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    /// <summary>Where the server listens; must end in a security layer.</summary>
    protected abstract string ListenAddress { get; }

    /// <summary>The stream type the layer must produce on both ends.</summary>
    protected abstract Type SecureStreamType { get; }

    /// <summary>Listens on <paramref name="listenAddress"/> and dials it with another identity; both ends accept any peer.</summary>
    internal static async Task<(TransportConnection Client, TransportConnection Server, IConnectionListener Listener)> ConnectAsync(
        string listenAddress, CancellationToken cancellationToken)
    {
        byte[] networkKey = RandomNumberGenerator.GetBytes(32);
        var serverIdentity = Ed25519Identity.Generate();
        var clientIdentity = Ed25519Identity.Generate();
        TransportRegistry serverRegistry = TransportRegistry.CreateDefault();
        serverRegistry.AddSecretHandshake(serverIdentity, networkKey, SecretHandshake.AllowAnyClient);
        serverRegistry.AddNoise(serverIdentity, new NoiseLayerOptions { NetworkKey = networkKey, Authorize = NoiseHandshake.AllowAnyInitiator });
        TransportRegistry clientRegistry = TransportRegistry.CreateDefault();
        clientRegistry.AddSecretHandshake(clientIdentity, networkKey);
        clientRegistry.AddNoise(clientIdentity, new NoiseLayerOptions { NetworkKey = networkKey });
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
        Assert.IsType(SecureStreamType, client.Stream);
        Assert.IsType(SecureStreamType, server.Stream);
        return new StreamPair(client.Stream, server.Stream, () => listener.DisposeAsync());
    }

    protected override ValueTask CompleteWritesAsync(Stream stream) => ((IHalfCloseable)stream).CompleteWritesAsync();
}

/// <summary>
/// The conformance suite on a yamux <see cref="MuxStream"/> whose session runs over the connection an address
/// produces (see <see cref="SecureLayerConformanceTests.ConnectAsync"/>): mux over shs, over noise, over a stripe bundle.
/// </summary>
public abstract class MuxOverAddressConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    /// <summary>The address the server listens on.</summary>
    protected abstract string ListenAddress { get; }

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken)
    {
        var (clientConnection, serverConnection, listener) = await SecureLayerConformanceTests.ConnectAsync(ListenAddress, cancellationToken);
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
