using System.Net.Sockets;
using System.Net.WebSockets;
using Weft.Testing;
using Weft.Transports.Net;
using Weft.Transports.Registry;
using Weft.Transports.Unix;
using Weft.Transports.WebSockets;

namespace Weft.Transports.Tests;

/// <summary>Connects a dialled and an accepted connection of one transport address through a registry.</summary>
public abstract class TransportConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected abstract string ListenAddress { get; }

    protected virtual TransportRegistry CreateRegistry() => TransportRegistry.CreateDefault();

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken)
    {
        TransportRegistry registry = CreateRegistry();
        IConnectionListener listener = await registry.ListenAsync(Address.Parse(ListenAddress), cancellationToken: cancellationToken);
        try
        {
            ValueTask<TransportConnection> accept = listener.AcceptAsync(cancellationToken);
            TransportConnection client = await registry.DialAsync(listener.Address, cancellationToken);
            TransportConnection server = await accept;
            return new StreamPair(client.Stream, server.Stream, () => listener.DisposeAsync());
        }
        catch
        {
            await listener.DisposeAsync();
            throw;
        }
    }

    protected override ValueTask CompleteWritesAsync(Stream stream) => ((IHalfCloseable)stream).CompleteWritesAsync();
}

/// <summary>TCP: half-close, timeouts and abort (RST through a zero linger).</summary>
public abstract class TcpConformanceTests : TransportConformanceTests
{
    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    protected override ValueTask AbortAsync(Stream stream)
    {
        Socket socket = ((SocketStream)stream).Socket;
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class NetConformanceTests : TcpConformanceTests
{
    protected override string ListenAddress => "net:127.0.0.1:0";
}

public sealed class NetIPv6ConformanceTests : TcpConformanceTests
{
    protected override string ListenAddress => "net:::1:0";

    protected override long LargeTransferBytes => 4L * 1024 * 1024;
}

public sealed class UnixConformanceTests : TransportConformanceTests
{
    protected override string ListenAddress => UnixTransport.ToPart(TestNet.UnixPath()).ToString();

    protected override bool SupportsTimeouts => true;
}

public class WebSocketConformanceTests : TransportConformanceTests
{
    protected override string ListenAddress => "ws://127.0.0.1:0/conformance";

    protected override bool SupportsAbort => true;

    // ClientWebSocket and Kestrel abort the WebSocket when a pending receive is cancelled.
    protected override bool UsableAfterCanceledRead => false;

    protected override long LargeTransferBytes => 8L * 1024 * 1024;

    protected override ValueTask AbortAsync(Stream stream)
    {
        ((WebSocketConnectionStream)stream).WebSocket.Abort();
        return ValueTask.CompletedTask;
    }
}

public sealed class SecureWebSocketConformanceTests : WebSocketConformanceTests, IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();

    protected override string ListenAddress => "wss://127.0.0.1:0/conformance";

    protected override TransportRegistry CreateRegistry() => TransportRegistry.CreateDefault(new DefaultTransportOptions
    {
        WebSockets = new WebSocketTransportOptions
        {
            ServerCertificatePath = _certificates.PfxPath,
            ServerCertificatePassword = TestCertificates.Password,
            TrustedCertificateHashes = [_certificates.Sha256],
        },
    });

    public void Dispose() => _certificates.Dispose();
}
