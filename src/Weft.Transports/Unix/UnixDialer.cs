using System.Net.Sockets;
using Weft.Transports.Net;
using Weft.Transports.Registry;

namespace Weft.Transports.Unix;

/// <summary>Dials one <c>unix</c> address.</summary>
internal sealed class UnixDialer : IConnectionDialer
{
    private readonly string _path;

    public UnixDialer(Address address, string path)
    {
        Address = address;
        _path = path;
    }

    public Address Address { get; }

    public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(_path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TransportException(TransportError.ConnectFailed, $"Unix socket connection to '{_path}' failed: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TransportConnection(new SocketStream(socket), ConnectionRole.Client, Address, _path);
    }
}
