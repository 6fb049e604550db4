using System.Buffers.Binary;
using System.Text;

namespace Weft.Transports.Socks;

/// <summary>
/// The client half of SOCKS5 (RFC 1928) as Tor needs it: no authentication, CONNECT, domain-name
/// addressing (the proxy resolves the name, so <c>.onion</c> names never touch local DNS).
/// <code>
/// greeting  C→S: VER=5 | NMETHODS=1 | METHOD=0 (no auth)
/// choice    S→C: VER=5 | METHOD (0 = accepted, 0xFF = none acceptable)
/// request   C→S: VER=5 | CMD=1 (CONNECT) | RSV=0 | ATYP=3 | LEN | NAME[LEN] | PORT u16 BE
/// reply     S→C: VER=5 | REP (0 = succeeded) | RSV | ATYP | BND.ADDR (4, 16 or 1+LEN bytes) | BND.PORT u16
/// </code>
/// </summary>
internal static class Socks5Client
{
    private const byte Version = 5;
    private const byte MethodNoAuth = 0;
    private const byte MethodNoneAcceptable = 0xFF;
    private const byte CommandConnect = 1;
    private const byte AddressIPv4 = 1;
    private const byte AddressDomain = 3;
    private const byte AddressIPv6 = 4;

    /// <summary>Asks the proxy on <paramref name="proxy"/> to connect to <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <exception cref="TransportException">The proxy refused or spoke something else (<see cref="TransportError.ProxyFailed"/>).</exception>
    public static async ValueTask ConnectAsync(Stream proxy, string host, int port, CancellationToken cancellationToken)
    {
        int nameLength = Encoding.ASCII.GetByteCount(host);
        if (nameLength is 0 or > 255)
        {
            throw new TransportException(TransportError.InvalidAddress, $"The host name '{host}' is too long for SOCKS5 (at most 255 bytes).");
        }

        await proxy.WriteAsync(new byte[] { Version, 1, MethodNoAuth }, cancellationToken).ConfigureAwait(false);
        byte[] choice = new byte[2];
        await ReadExactlyAsync(proxy, choice, cancellationToken).ConfigureAwait(false);
        if (choice[0] != Version)
        {
            throw Failed($"the proxy answered with version {choice[0]}, not SOCKS5");
        }

        if (choice[1] != MethodNoAuth)
        {
            throw Failed(choice[1] == MethodNoneAcceptable
                ? "the proxy requires authentication (it accepted none of the offered methods)"
                : $"the proxy chose method {choice[1]}, which was not offered");
        }

        byte[] request = new byte[7 + nameLength];
        request[0] = Version;
        request[1] = CommandConnect;
        request[2] = 0;
        request[3] = AddressDomain;
        request[4] = (byte)nameLength;
        Encoding.ASCII.GetBytes(host, request.AsSpan(5));
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(5 + nameLength), (ushort)port);
        await proxy.WriteAsync(request, cancellationToken).ConfigureAwait(false);

        byte[] head = new byte[5];
        await ReadExactlyAsync(proxy, head, cancellationToken).ConfigureAwait(false);
        if (head[0] != Version)
        {
            throw Failed($"the proxy replied with version {head[0]}, not SOCKS5");
        }

        if (head[1] != 0)
        {
            throw Failed($"the proxy could not connect to {host}:{port}: {DescribeReply(head[1])}");
        }

        // head[4] is the first byte of BND.ADDR (or the domain length); read the rest and the port.
        int remaining = head[3] switch
        {
            AddressIPv4 => 4 - 1 + 2,
            AddressIPv6 => 16 - 1 + 2,
            AddressDomain => head[4] + 2,
            _ => throw Failed($"the proxy replied with unknown address type {head[3]}"),
        };
        await ReadExactlyAsync(proxy, new byte[remaining], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The RFC 1928 section 6 meaning of a reply code.</summary>
    internal static string DescribeReply(byte code) => code switch
    {
        1 => "general SOCKS server failure (1)",
        2 => "connection not allowed by ruleset (2)",
        3 => "network unreachable (3)",
        4 => "host unreachable (4)",
        5 => "connection refused (5)",
        6 => "TTL expired (6)",
        7 => "command not supported (7)",
        8 => "address type not supported (8)",
        _ => $"unknown reply code {code}",
    };

    private static async ValueTask ReadExactlyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw new TransportException(TransportError.ProxyFailed, "SOCKS5 failed: the proxy closed the connection in the middle of the handshake.", ex);
        }
    }

    private static TransportException Failed(string reason) => new(TransportError.ProxyFailed, $"SOCKS5 failed: {reason}.");
}
