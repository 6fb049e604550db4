using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// A UDP echo server on 127.0.0.1: every datagram goes back to its sender unchanged, and its size is
/// recorded, so a test can check that datagrams arrived whole (not split, not merged) at the far end.
/// </summary>
public sealed class UdpEchoServer : IAsyncDisposable
{
    /// <summary>The largest UDP payload over IPv4 (65,535 − 20 IP − 8 UDP).</summary>
    public const int MaxDatagram = 65_507;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<int> _sizes = new();
    private readonly Task _loop;

    private UdpEchoServer()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = LoopAsync();
    }

    /// <summary>Where the server listens.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The sizes of the datagrams received so far, in arrival order.</summary>
    public IReadOnlyList<int> ReceivedSizes => [.. _sizes];

    /// <summary>Starts the server.</summary>
    /// <returns>The running server.</returns>
    public static UdpEchoServer Start() => new();

    /// <summary>Stops the server.</summary>
    /// <returns>A task that completes when the receive loop has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var buffer = new byte[MaxDatagram + 1];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                SocketReceiveFromResult received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
                _sizes.Enqueue(received.ReceivedBytes);
                await _socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP "port unreachable" from an earlier send to a client that has gone: keep serving.
            }
        }
    }
}
