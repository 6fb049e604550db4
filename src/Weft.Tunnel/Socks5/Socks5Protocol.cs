using System.Buffers.Binary;
using System.Net;
using System.Text;
using Weft.Tunnel.Routing;

namespace Weft.Tunnel.Socks5;

/// <summary>
/// The server side of SOCKS5 (RFC 1928) as a <c>-D</c> forward speaks it: method 0 (no authentication) only,
/// CONNECT only, to IPv4, IPv6 or a domain name (resolved by the exit, the server agent). Anything else is
/// refused with the RFC's reply (0xFF for methods, 0x07 command not supported, 0x08 address type not supported).
/// </summary>
internal static class Socks5Protocol
{
    public const byte Version = 5;
    public const byte NoAuthentication = 0;
    public const byte NoAcceptableMethods = 0xFF;
    public const byte Connect = 1;

    /// <summary>RFC 1928 §6 reply codes.</summary>
    public enum Reply : byte
    {
        Succeeded = 0,
        GeneralFailure = 1,
        NotAllowedByRuleset = 2,
        NetworkUnreachable = 3,
        HostUnreachable = 4,
        ConnectionRefused = 5,
        TtlExpired = 6,
        CommandNotSupported = 7,
        AddressTypeNotSupported = 8,
    }

    /// <summary>Reads the greeting and request; answers the greeting. On a refusal it sends the reply and returns null with the reason.</summary>
    public static async ValueTask<(TargetRequest? Target, string? Error)> AcceptAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] head = new byte[2];
        if (!await ReadAsync(stream, head, cancellationToken).ConfigureAwait(false))
        {
            return (null, "the SOCKS client closed before its greeting");
        }

        if (head[0] != Version)
        {
            return (null, $"not SOCKS5 (version byte {head[0]})");
        }

        byte[] methods = new byte[head[1]];
        if (!await ReadAsync(stream, methods, cancellationToken).ConfigureAwait(false))
        {
            return (null, "truncated SOCKS5 greeting");
        }

        if (Array.IndexOf(methods, NoAuthentication) < 0)
        {
            await stream.WriteAsync(new byte[] { Version, NoAcceptableMethods }, cancellationToken).ConfigureAwait(false);
            return (null, "the SOCKS client offered no method this proxy accepts (only 'no authentication': the tunnel authenticates)");
        }

        await stream.WriteAsync(new byte[] { Version, NoAuthentication }, cancellationToken).ConfigureAwait(false);
        byte[] request = new byte[4];
        if (!await ReadAsync(stream, request, cancellationToken).ConfigureAwait(false))
        {
            return (null, "truncated SOCKS5 request");
        }

        if (request[0] != Version)
        {
            await SendReplyAsync(stream, Reply.GeneralFailure, cancellationToken).ConfigureAwait(false);
            return (null, $"bad SOCKS5 request version {request[0]}");
        }

        string host;
        switch (request[3])
        {
            case 1:
                byte[] v4 = new byte[4];
                if (!await ReadAsync(stream, v4, cancellationToken).ConfigureAwait(false))
                {
                    return (null, "truncated SOCKS5 request");
                }

                host = new IPAddress(v4).ToString();
                break;
            case 4:
                byte[] v6 = new byte[16];
                if (!await ReadAsync(stream, v6, cancellationToken).ConfigureAwait(false))
                {
                    return (null, "truncated SOCKS5 request");
                }

                host = new IPAddress(v6).ToString();
                break;
            case 3:
                byte[] length = new byte[1];
                if (!await ReadAsync(stream, length, cancellationToken).ConfigureAwait(false) || length[0] == 0)
                {
                    await SendReplyAsync(stream, Reply.GeneralFailure, cancellationToken).ConfigureAwait(false);
                    return (null, "empty or truncated SOCKS5 domain name");
                }

                byte[] name = new byte[length[0]];
                if (!await ReadAsync(stream, name, cancellationToken).ConfigureAwait(false))
                {
                    return (null, "truncated SOCKS5 request");
                }

                host = Encoding.ASCII.GetString(name);
                break;
            default:
                await SendReplyAsync(stream, Reply.AddressTypeNotSupported, cancellationToken).ConfigureAwait(false);
                return (null, $"SOCKS5 address type {request[3]} is not supported");
        }

        byte[] portBytes = new byte[2];
        if (!await ReadAsync(stream, portBytes, cancellationToken).ConfigureAwait(false))
        {
            return (null, "truncated SOCKS5 request");
        }

        int port = BinaryPrimitives.ReadUInt16BigEndian(portBytes);
        if (request[1] != Connect)
        {
            await SendReplyAsync(stream, Reply.CommandNotSupported, cancellationToken).ConfigureAwait(false);
            return (null, $"SOCKS5 command {request[1]} is not supported (only CONNECT)");
        }

        if (!Forwards.ForwardSpec.IsHost(host) || port == 0)
        {
            await SendReplyAsync(stream, Reply.GeneralFailure, cancellationToken).ConfigureAwait(false);
            return (null, $"invalid SOCKS5 target '{host}':{port}");
        }

        return (new TargetRequest(false, host, port), null);
    }

    /// <summary>Sends a reply with BND.ADDR 0.0.0.0:0 (the exit's own address is not disclosed).</summary>
    public static ValueTask SendReplyAsync(Stream stream, Reply reply, CancellationToken cancellationToken) =>
        stream.WriteAsync(new byte[] { Version, (byte)reply, 0, 1, 0, 0, 0, 0, 0, 0 }, cancellationToken);

    /// <summary>The SOCKS5 reply for a route status.</summary>
    public static Reply ForStatus(RouteStatus status) => status switch
    {
        RouteStatus.Ok => Reply.Succeeded,
        RouteStatus.NotAllowed or RouteStatus.TargetNotAllowed => Reply.NotAllowedByRuleset,
        RouteStatus.ConnectionRefused => Reply.ConnectionRefused,
        RouteStatus.HostUnreachable or RouteStatus.NameNotResolved or RouteStatus.TimedOut => Reply.HostUnreachable,
        RouteStatus.NoSuchServer or RouteStatus.NoSession or RouteStatus.SessionLost => Reply.NetworkUnreachable,
        _ => Reply.GeneralFailure,
    };

    private static async ValueTask<bool> ReadAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
