using System.Net;
using System.Net.Sockets;
using Weft.Mux;

namespace Weft.LoadTest;

/// <summary>Connected loopback TCP pairs, as plain streams (the raw TCP baseline) or as a MuxSession pair.</summary>
internal sealed class Loopback : IDisposable
{
    private readonly Socket _listener;

    public Loopback()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4096);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>One TCP connection: (client side, server side), Nagle off on both as the peers do.</summary>
    public async Task<(NetworkStream Client, NetworkStream Server)> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = _listener.AcceptAsync();
        await client.ConnectAsync(EndPoint);
        Socket server = await accept;
        server.NoDelay = true;
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    /// <summary>Accepts one connection as a stream (for a server loop).</summary>
    public async Task<NetworkStream> AcceptAsync(CancellationToken cancellationToken)
    {
        Socket server = await _listener.AcceptAsync(cancellationToken);
        server.NoDelay = true;
        return new NetworkStream(server, ownsSocket: true);
    }

    /// <summary>A client and a server session over one loopback TCP connection.</summary>
    public async Task<(MuxSession Client, MuxSession Server)> SessionPairAsync(MuxOptions? options = null)
    {
        (NetworkStream client, NetworkStream server) = await ConnectAsync();
        return (MuxSession.CreateClient(client, options), MuxSession.CreateServer(server, options));
    }

    /// <summary>Half-closes the write side: FIN on a mux stream, shutdown(SHUT_WR) on a TCP connection.</summary>
    public static void HalfClose(Stream stream)
    {
        switch (stream)
        {
            case MuxStream mux:
                mux.CompleteWrites();
                break;
            case NetworkStream tcp:
                tcp.Socket.Shutdown(SocketShutdown.Send);
                break;
            default:
                throw new ArgumentException($"cannot half-close a {stream.GetType().Name}", nameof(stream));
        }
    }

    /// <summary>Echoes until end of stream, then half-closes and disposes.</summary>
    public static async Task EchoAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, n));
            }

            HalfClose(stream);
        }
        catch (IOException)
        {
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>Reads and discards until end of stream; returns the byte count.</summary>
    public static async Task<long> DiscardAsync(Stream stream, int bufferSize = 64 * 1024)
    {
        var buffer = new byte[bufferSize];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    public void Dispose() => _listener.Dispose();
}
