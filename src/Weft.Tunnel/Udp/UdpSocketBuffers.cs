using System.Net.Sockets;

namespace Weft.Tunnel.Udp;

/// <summary>
/// Socket buffers of the agents' UDP sockets. A burst of datagrams arrives faster than one receive loop takes
/// them off the socket (each then goes through a mux stream), and Linux's default receive buffer (208 KiB of
/// kernel memory, which an 8 KB datagram charges about 16 KiB of) drops the rest of the burst silently. The
/// agents ask for 4 MiB; the kernel caps the request at <c>net.core.rmem_max</c> / <c>wmem_max</c>.
/// </summary>
internal static class UdpSocketBuffers
{
    /// <summary>What the agents ask for, each direction.</summary>
    public const int Size = 4 << 20;

    /// <summary>Enlarges <paramref name="socket"/>'s buffers as far as the system allows; never fails.</summary>
    public static void Enlarge(Socket socket)
    {
        try
        {
            socket.ReceiveBufferSize = Math.Max(socket.ReceiveBufferSize, Size);
            socket.SendBufferSize = Math.Max(socket.SendBufferSize, Size);
        }
        catch (SocketException)
        {
            // The system refuses larger buffers: keep its defaults.
        }
    }
}
