using System.Net.Sockets;
using Weft.Transports.Registry;

namespace Weft.Transports.Net;

/// <summary>Dials one <c>net</c> address.</summary>
internal sealed class NetDialer : IConnectionDialer
{
    private readonly NetEndpoint _endpoint;

    public NetDialer(Address address, NetEndpoint endpoint)
    {
        Address = address;
        _endpoint = endpoint;
    }

    public Address Address { get; }

    public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
    {
        Socket socket = await TcpConnector.ConnectAsync(_endpoint.Host, _endpoint.Port, cancellationToken).ConfigureAwait(false);
        return new TransportConnection(new SocketStream(socket), ConnectionRole.Client, Address, socket.RemoteEndPoint?.ToString());
    }
}
