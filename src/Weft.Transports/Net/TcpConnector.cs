using System.Net;
using System.Net.Sockets;

namespace Weft.Transports.Net;

/// <summary>Opens TCP connections (TCP_NODELAY on) to a host name or IP literal, trying each resolved address in turn.</summary>
internal static class TcpConnector
{
    public static async ValueTask<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal)
            ? [literal]
            : await ResolveAsync(host, cancellationToken).ConfigureAwait(false);

        var errors = new List<string>();
        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
                errors.Add(addresses.Length == 1 ? ex.Message : $"{new IPEndPoint(address, port)}: {ex.Message}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new TransportException(TransportError.ConnectFailed, $"TCP connection to {host}:{port} failed: {string.Join("; ", errors)}", last);
    }

    private static async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                throw new TransportException(TransportError.ConnectFailed, $"The host name '{host}' has no addresses.");
            }

            return addresses;
        }
        catch (SocketException ex)
        {
            throw new TransportException(TransportError.ConnectFailed, $"The host name '{host}' could not be resolved: {ex.Message}", ex);
        }
    }
}
