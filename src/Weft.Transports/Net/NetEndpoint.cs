using System.Globalization;
using System.Net;

namespace Weft.Transports.Net;

/// <summary>
/// The host and port of a <c>net</c> (or <c>onion</c>) part. The LAST field is the port and the others
/// are re-joined with ':' as the host, so <c>net:fe80::1:8008</c> is host <c>fe80::1</c>, port 8008.
/// A bracketed IPv6 host (<c>[::1]</c>) is accepted and stored without brackets.
/// </summary>
/// <param name="Host">Host name or IP literal, without brackets.</param>
/// <param name="Port">Port, 0–65535 (0 only for listening: an ephemeral port).</param>
public sealed record NetEndpoint(string Host, int Port)
{
    /// <summary>Reads host and port from a part.</summary>
    /// <param name="part">A part such as <c>net:example.org:8008</c>.</param>
    /// <param name="allowPortZero">Whether port 0 (listen on an ephemeral port) is accepted.</param>
    /// <returns>The end point.</returns>
    /// <exception cref="TransportException">Fields are missing or the port is invalid (<see cref="TransportError.InvalidAddress"/>).</exception>
    public static NetEndpoint FromPart(ProtocolPart part, bool allowPortZero)
    {
        ArgumentNullException.ThrowIfNull(part);
        if (part.Fields.Count < 2)
        {
            throw Invalid(part, $"{part.Name} needs a host and a port ({part.Name}:HOST:PORT)");
        }

        string portText = part.Fields[^1];
        if (portText.Length == 0 || portText.Length > 5 || !portText.All(char.IsAsciiDigit)
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port > IPEndPoint.MaxPort || (port == 0 && !allowPortZero))
        {
            throw Invalid(part, $"'{portText}' is not a port ({(allowPortZero ? 0 : 1)}-65535)");
        }

        string host = part.JoinFields(0, part.Fields.Count - 1);
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
        }

        if (host.Length == 0)
        {
            throw Invalid(part, "the host is empty");
        }

        return new NetEndpoint(host, port);
    }

    /// <summary>The part for this end point: the host split at ':' into fields (so IPv6 prints as <c>net:::1:8008</c>), then the port.</summary>
    /// <param name="name">The protocol name (<c>net</c> or <c>onion</c>).</param>
    /// <returns>The part.</returns>
    public ProtocolPart ToPart(string name = "net") =>
        new(name, [.. Host.Split(':'), Port.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>The IP address when <see cref="Host"/> is an IP literal, else null.</summary>
    /// <returns>The address or null.</returns>
    public IPAddress? TryGetIPAddress() => IPAddress.TryParse(Host, out IPAddress? ip) ? ip : null;

    /// <summary>Host and port as a URL authority would write them (<c>[::1]:8008</c>).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    private static TransportException Invalid(ProtocolPart part, string reason) =>
        new(TransportError.InvalidAddress, $"'{part}': {reason}.");
}
