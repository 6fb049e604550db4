using System.Net;
using System.Net.Sockets;
using Weft.Transports.Registry;

namespace Weft.Transports.Net;

/// <summary>
/// The <c>net</c> transport: TCP over IPv4, IPv6 or a host name, with TCP_NODELAY on.
/// Address: <c>net:HOST:PORT</c> (IPv6 as <c>net:::1:8008</c> or <c>net:[::1]:8008</c>; port 0 to listen on an
/// ephemeral port). Listening on <c>::</c> accepts IPv4 too (dual mode). Streams are <see cref="SocketStream"/>.
/// </summary>
public sealed class NetTransport : ITransport
{
    /// <summary>The protocol name, <c>net</c>.</summary>
    public const string ProtocolName = "net";

    private const int ListenBacklog = 512;

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <inheritdoc/>
    public bool CanDial => true;

    /// <inheritdoc/>
    public bool CanListen => true;

    /// <inheritdoc/>
    public IConnectionDialer CreateDialer(ProtocolPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        NetEndpoint endpoint = NetEndpoint.FromPart(part, allowPortZero: false);
        return new NetDialer(new Address(part), endpoint);
    }

    /// <inheritdoc/>
    public async ValueTask<IConnectionListener> ListenAsync(ProtocolPart part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(part);
        NetEndpoint endpoint = NetEndpoint.FromPart(part, allowPortZero: true);
        IPAddress bindAddress = endpoint.TryGetIPAddress() ?? await ResolveForBindAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        var socket = new Socket(bindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bindAddress.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(new IPEndPoint(bindAddress, endpoint.Port));
            socket.Listen(ListenBacklog);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TransportException(TransportError.ListenFailed, $"Cannot listen on '{part}': {ex.Message}", ex);
        }

        var bound = (IPEndPoint)socket.LocalEndPoint!;
        var address = new Address(new NetEndpoint(bound.Address.ToString(), bound.Port).ToPart(ProtocolName));
        return new SocketListener(socket, address, noDelay: true, (scope, options) => Advertise(bound, scope, options));
    }

    /// <summary>
    /// The addresses for a TCP listener bound to <paramref name="bound"/>: device scope prints 127.0.0.1 for a
    /// wildcard bind, local scope the machine's address (or <see cref="AdvertiseOptions.LocalHost"/>),
    /// public scope each of <see cref="AdvertiseOptions.PublicHosts"/>.
    /// </summary>
    internal static IReadOnlyList<string> AdvertisedHosts(IPEndPoint bound, AddressScope scope, AdvertiseOptions options)
    {
        IPAddress ip = bound.Address;
        bool wildcard = ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any);
        switch (scope)
        {
            case AddressScope.Device:
                return [wildcard ? IPAddress.Loopback.ToString() : ip.ToString()];
            case AddressScope.Local:
                if (options.LocalHost is not null)
                {
                    return [options.LocalHost];
                }

                if (IPAddress.IsLoopback(ip))
                {
                    return [];
                }

                if (!wildcard)
                {
                    return [ip.ToString()];
                }

                IPAddress? local = LocalAddresses.FindLocal(
                    allowIPv4: ip.AddressFamily == AddressFamily.InterNetwork || ip.Equals(IPAddress.IPv6Any),
                    allowIPv6: ip.AddressFamily == AddressFamily.InterNetworkV6);
                return local is null ? [] : [local.ToString()];
            case AddressScope.Public:
                return IPAddress.IsLoopback(ip) ? [] : options.PublicHosts;
            default:
                return [];
        }
    }

    private static IReadOnlyList<Address> Advertise(IPEndPoint bound, AddressScope scope, AdvertiseOptions options) =>
        [.. AdvertisedHosts(bound, scope, options).Select(h => new Address(new NetEndpoint(h, bound.Port).ToPart(ProtocolName)))];

    private static async ValueTask<IPAddress> ResolveForBindAsync(string host, CancellationToken cancellationToken)
    {
        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new TransportException(TransportError.ListenFailed, $"The host name '{host}' has no addresses to listen on.");
        }
        catch (SocketException ex)
        {
            throw new TransportException(TransportError.ListenFailed, $"The host name '{host}' could not be resolved: {ex.Message}", ex);
        }
    }
}
