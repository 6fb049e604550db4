using System.Net;
using System.Net.Sockets;

namespace Weft.Transports.Tests;

/// <summary>A TCP listener on loopback that never accepts: the kernel completes the handshake, nobody ever answers.</summary>
internal sealed class Blackhole : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public Blackhole()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Listen(16);
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public void Dispose() => _socket.Dispose();
}
