using System.Net;
using System.Net.Sockets;

namespace Weft.Testing;

/// <summary>Connected TCP sockets and streams over loopback (127.0.0.1), for transport-level tests.</summary>
public static class TcpPair
{
    /// <summary>
    /// Connects two sockets over 127.0.0.1 through a temporary listener on an ephemeral port (the
    /// listener is closed before returning). <c>NoDelay</c> is set on both.
    /// </summary>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The client (connecting) and server (accepted) sockets; the caller owns both.</returns>
    public static async Task<(Socket Client, Socket Server)> CreateSocketsAsync(CancellationToken cancellationToken = default)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            Task connect = client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).AsTask();
            Socket server = await listener.AcceptAsync(cancellationToken);
            await connect;
            client.NoDelay = true;
            server.NoDelay = true;
            return (client, server);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Two connected <see cref="NetworkStream"/>s over loopback, each owning its socket. Cast
    /// <see cref="StreamPair.First"/> (client) or <see cref="StreamPair.Second"/> (server) to
    /// <see cref="NetworkStream"/> to reach the socket, for example to half-close with
    /// <c>Socket.Shutdown(SocketShutdown.Send)</c>.
    /// </summary>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The pair; disposing it closes both sockets.</returns>
    public static async Task<StreamPair> CreateAsync(CancellationToken cancellationToken = default)
    {
        var (client, server) = await CreateSocketsAsync(cancellationToken);
        return new StreamPair(new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    /// <summary>
    /// Two connected <see cref="NetworkStream"/>s over loopback whose bytes pass through a new
    /// <see cref="ChaosProxy"/>: <see cref="StreamPair.First"/> is the client (connected to the proxy),
    /// <see cref="StreamPair.Second"/> the server (accepted from the proxy). Disposing the pair also
    /// disposes the proxy and its listener.
    /// </summary>
    /// <param name="options">Proxy settings (delay, caps, …); <see langword="null"/> for a transparent proxy.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The pair and the proxy's handle on this connection, to misbehave at run time.</returns>
    public static async Task<(StreamPair Streams, ChaosConnection Connection)> CreateThroughChaosAsync(ChaosProxyOptions? options = null, CancellationToken cancellationToken = default)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        ChaosProxy? proxy = null;
        Socket? client = null;
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            proxy = ChaosProxy.Start((IPEndPoint)listener.LocalEndPoint!, options);
            client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync(proxy.EndPoint, cancellationToken);
            ChaosConnection connection = await proxy.NextConnectionAsync(cancellationToken);
            Socket server = await listener.AcceptAsync(cancellationToken);
            server.NoDelay = true;
            listener.Dispose();
            ChaosProxy owned = proxy;
            var streams = new StreamPair(new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true), owned.DisposeAsync);
            return (streams, connection);
        }
        catch
        {
            client?.Dispose();
            listener.Dispose();
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// Aborts a TCP connection the hard way: linger 0 then close, so the peer receives a reset (RST)
    /// and sees an <see cref="IOException"/> instead of end of stream.
    /// </summary>
    /// <param name="socket">The socket to reset; it is disposed.</param>
    public static void Reset(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Already closed by the peer or the OS: disposing is all that is left.
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        socket.Dispose();
    }
}
