using System.Net.Sockets;
using Weft.Transports.Net;
using Weft.Transports.Registry;

namespace Weft.Transports.Socks;

/// <summary>Dials one <c>onion</c> address through the first reachable proxy.</summary>
internal sealed class OnionDialer(Address address, NetEndpoint target, NetEndpoint[] proxies) : IConnectionDialer
{
    public Address Address { get; } = address;

    public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
    {
        var unreachable = new List<string>();
        foreach (NetEndpoint proxy in proxies)
        {
            Socket socket;
            try
            {
                socket = await TcpConnector.ConnectAsync(proxy.Host, proxy.Port, cancellationToken).ConfigureAwait(false);
            }
            catch (TransportException ex)
            {
                unreachable.Add($"proxy {proxy}: {ex.Message}");
                continue;
            }

            var stream = new SocketStream(socket);
            try
            {
                await Socks5Client.ConnectAsync(stream, target.Host, target.Port, cancellationToken).ConfigureAwait(false);
                return new TransportConnection(stream, ConnectionRole.Client, Address, $"{target} via {proxy}");
            }
            catch (Exception ex)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                if (ex is IOException and not TransportException)
                {
                    throw new TransportException(TransportError.ProxyFailed, $"SOCKS5 via {proxy} failed: {ex.Message}", ex);
                }

                throw;
            }
        }

        throw new TransportException(TransportError.ConnectFailed, $"No SOCKS5 proxy for {Address} could be reached: {string.Join("; ", unreachable)}");
    }
}
