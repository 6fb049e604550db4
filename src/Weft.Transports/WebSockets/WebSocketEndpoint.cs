using System.Globalization;

namespace Weft.Transports.WebSockets;

/// <summary>
/// The URL of a <c>ws</c> or <c>wss</c> part. The fields re-joined with ':' form the URL after the scheme, so
/// <c>ws://example.org:8080/mux</c> is name <c>ws</c> with fields <c>//example.org</c>, <c>8080/mux</c>.
/// Ports default to 80 (ws) and 443 (wss) and are omitted by <see cref="ToPart"/> when they are the default;
/// the path defaults to <c>/</c> and is then omitted too.
/// </summary>
/// <param name="Secure">True for <c>wss</c> (TLS).</param>
/// <param name="Host">Host name or IP literal, without brackets.</param>
/// <param name="Port">Port (0 only for listening: an ephemeral port).</param>
/// <param name="Path">Path and query, starting with <c>/</c>.</param>
public sealed record WebSocketEndpoint(bool Secure, string Host, int Port, string Path)
{
    /// <summary>The default port of <c>ws</c>.</summary>
    public const int DefaultPort = 80;

    /// <summary>The default port of <c>wss</c>.</summary>
    public const int DefaultSecurePort = 443;

    /// <summary>The scheme and protocol name: <c>ws</c> or <c>wss</c>.</summary>
    public string Scheme => Secure ? "wss" : "ws";

    /// <summary>Reads the URL of a <c>ws</c>/<c>wss</c> part.</summary>
    /// <param name="part">The part.</param>
    /// <returns>The end point.</returns>
    /// <exception cref="TransportException">The part is not a <c>ws</c>/<c>wss</c> URL (<see cref="TransportError.InvalidAddress"/>).</exception>
    public static WebSocketEndpoint FromPart(ProtocolPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        bool secure = part.Name switch
        {
            "ws" => false,
            "wss" => true,
            _ => throw Invalid(part, "not a ws or wss address"),
        };
        string rest = part.JoinFields(0, part.Fields.Count);
        if (!rest.StartsWith("//", StringComparison.Ordinal) || rest.Length == 2)
        {
            throw Invalid(part, $"expected {part.Name}://HOST[:PORT][/PATH]");
        }

        if (!Uri.TryCreate(part.Name + ":" + rest, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
        {
            throw Invalid(part, "not a valid URL");
        }

        if (uri.UserInfo.Length != 0 || uri.Fragment.Length != 0)
        {
            throw Invalid(part, "user information and fragments are not allowed");
        }

        string host = uri.Host;
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return new WebSocketEndpoint(secure, host, uri.Port, uri.PathAndQuery.Length == 0 ? "/" : uri.PathAndQuery);
    }

    /// <summary>The canonical part: default port and path <c>/</c> omitted, e.g. <c>wss://example.org</c>.</summary>
    /// <returns>The part.</returns>
    public ProtocolPart ToPart()
    {
        string authority = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        string port = Port == (Secure ? DefaultSecurePort : DefaultPort) ? string.Empty : ":" + Port.ToString(CultureInfo.InvariantCulture);
        string path = Path == "/" ? string.Empty : Path;
        return new ProtocolPart(Scheme, ("//" + authority + port + path).Split(':'));
    }

    /// <summary>The URL to connect to.</summary>
    /// <returns>The URI, e.g. <c>wss://example.org:443/</c>.</returns>
    public Uri ToUri()
    {
        string authority = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        return new Uri($"{Scheme}://{authority}:{Port.ToString(CultureInfo.InvariantCulture)}{Path}");
    }

    /// <summary>The canonical text, as <see cref="ToPart"/> prints it.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => ToPart().ToString();

    private static TransportException Invalid(ProtocolPart part, string reason) =>
        new(TransportError.InvalidAddress, $"'{part}': {reason}.");
}
