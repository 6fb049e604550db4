using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Weft.Tunnel.Access;

namespace Weft.Tunnel.Forwards;

/// <summary>
/// One forward, parsed from the syntax shared by the command line and the config file (ssh's, plus an
/// optional server name because a relay serves many servers):
/// <code>
/// -L [bind:]port:[server:]host:hostport     local TCP port -> host:hostport as seen from the server agent
/// -R [bind:]port:host:hostport              port on the relay (direct mode: on the server agent) -> host:hostport as seen from this agent
/// -D [bind:]port[:server]                   SOCKS5 server; CONNECT exits at the server agent
/// -U [bind:]port:[server:]host:hostport     local UDP port -> UDP host:hostport as seen from the server agent
/// </code>
/// IPv6 addresses are written in brackets (<c>[::1]:8080:office:[fe80::1]:22</c>). A bind host defaults to
/// 127.0.0.1 (loopback only, as ssh without GatewayPorts); bind port 0 picks a free port (the status shows
/// it). A server name starts with a letter, never a digit, which is how <c>-L a:8080:b:80</c> (bind form)
/// and <c>-L 8080:office:b:80</c> (server form) are told apart: in a four-field <c>-L</c>/<c>-U</c> the second
/// field is a port in the bind form and a server name otherwise. Without a server the client agent's
/// <see cref="Agents.ClientAgentOptions.DefaultServer"/> is used.
/// </summary>
public sealed class ForwardSpec : IEquatable<ForwardSpec>
{
    /// <summary>The bind host used when a spec names none: loopback only.</summary>
    public const string DefaultBindHost = "127.0.0.1";

    /// <summary>The longest spec accepted, in characters.</summary>
    public const int MaxLength = 1024;

    private ForwardSpec(ForwardKind kind, string bindHost, int bindPort, string? server, string? targetHost, int targetPort)
    {
        Kind = kind;
        BindHost = bindHost;
        BindPort = bindPort;
        Server = server;
        TargetHost = targetHost;
        TargetPort = targetPort;
    }

    /// <summary>What kind of forward this is.</summary>
    public ForwardKind Kind { get; }

    /// <summary>Where the listening side binds (without brackets for IPv6); <see cref="DefaultBindHost"/> when not given.</summary>
    public string BindHost { get; }

    /// <summary>The listening port; 0 picks a free one.</summary>
    public int BindPort { get; }

    /// <summary>The server agent named for <see cref="ForwardKind.Local"/>, <see cref="ForwardKind.Dynamic"/> and <see cref="ForwardKind.Udp"/>; null for the default server (and always for <see cref="ForwardKind.Remote"/>).</summary>
    public string? Server { get; }

    /// <summary>The target host (without brackets for IPv6); null for <see cref="ForwardKind.Dynamic"/>, where each SOCKS5 request names one.</summary>
    public string? TargetHost { get; }

    /// <summary>The target port (1-65535); 0 for <see cref="ForwardKind.Dynamic"/>.</summary>
    public int TargetPort { get; }

    /// <summary>Creates a <c>-L</c> forward.</summary>
    /// <param name="bindPort">Local port (0 = any).</param>
    /// <param name="server">Server name, or null for the default server.</param>
    /// <param name="targetHost">Target host as the server agent resolves it.</param>
    /// <param name="targetPort">Target port.</param>
    /// <param name="bindHost">Local bind host; null for <see cref="DefaultBindHost"/>.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="FormatException">A field is invalid.</exception>
    public static ForwardSpec Local(int bindPort, string? server, string targetHost, int targetPort, string? bindHost = null) =>
        Parse(ForwardKind.Local, Format(ForwardKind.Local, bindHost, bindPort, server, targetHost, targetPort));

    /// <summary>Creates a <c>-D</c> forward.</summary>
    /// <param name="bindPort">Local port (0 = any).</param>
    /// <param name="server">Exit server name, or null for the default server.</param>
    /// <param name="bindHost">Local bind host; null for <see cref="DefaultBindHost"/>.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="FormatException">A field is invalid.</exception>
    public static ForwardSpec Dynamic(int bindPort, string? server = null, string? bindHost = null) =>
        Parse(ForwardKind.Dynamic, Format(ForwardKind.Dynamic, bindHost, bindPort, server, null, 0));

    /// <summary>Creates a <c>-U</c> forward.</summary>
    /// <param name="bindPort">Local UDP port (0 = any).</param>
    /// <param name="server">Server name, or null for the default server.</param>
    /// <param name="targetHost">UDP target host as the server agent resolves it.</param>
    /// <param name="targetPort">UDP target port.</param>
    /// <param name="bindHost">Local bind host; null for <see cref="DefaultBindHost"/>.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="FormatException">A field is invalid.</exception>
    public static ForwardSpec Udp(int bindPort, string? server, string targetHost, int targetPort, string? bindHost = null) =>
        Parse(ForwardKind.Udp, Format(ForwardKind.Udp, bindHost, bindPort, server, targetHost, targetPort));

    /// <summary>Creates a <c>-R</c> forward.</summary>
    /// <param name="bindPort">Port to open on the relay (0 = any).</param>
    /// <param name="targetHost">Target host as this agent resolves it.</param>
    /// <param name="targetPort">Target port.</param>
    /// <param name="bindHost">Bind host on the relay; null for <see cref="DefaultBindHost"/>.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="FormatException">A field is invalid.</exception>
    public static ForwardSpec Remote(int bindPort, string targetHost, int targetPort, string? bindHost = null) =>
        Parse(ForwardKind.Remote, Format(ForwardKind.Remote, bindHost, bindPort, null, targetHost, targetPort));

    /// <summary>Maps an option name (<c>-L</c>, <c>L</c>, <c>local</c>, <c>-R</c>, <c>remote</c>, <c>-D</c>, <c>dynamic</c>, <c>socks</c>, <c>-U</c>, <c>udp</c>) to a kind.</summary>
    /// <param name="option">The option or config key, case-insensitive.</param>
    /// <param name="kind">The kind when the result is true.</param>
    /// <returns>True when recognised.</returns>
    public static bool TryParseKind(string? option, out ForwardKind kind)
    {
        switch (option?.Trim().TrimStart('-').ToUpperInvariant())
        {
            case "L" or "LOCAL":
                kind = ForwardKind.Local;
                return true;
            case "R" or "REMOTE":
                kind = ForwardKind.Remote;
                return true;
            case "D" or "DYNAMIC" or "SOCKS" or "SOCKS5":
                kind = ForwardKind.Dynamic;
                return true;
            case "U" or "UDP":
                kind = ForwardKind.Udp;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    /// <summary>Parses a spec of the given kind.</summary>
    /// <param name="kind">The kind (from the option that preceded it).</param>
    /// <param name="text">The spec, e.g. <c>8080:office:localhost:80</c>.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="FormatException">The text is invalid; the message says which field and why, and shows the syntax.</exception>
    public static ForwardSpec Parse(ForwardKind kind, string text) =>
        TryParse(kind, text, out ForwardSpec? spec, out string? error) ? spec : throw new FormatException(error);

    /// <summary>Parses a spec of the given kind without throwing.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="text">The spec.</param>
    /// <param name="spec">The spec when the result is true.</param>
    /// <param name="error">A clear message when the result is false, e.g. <c>-L '8080:office:x': the target port 'x' is not a number 1-65535 (syntax: …)</c>.</param>
    /// <returns>True when valid.</returns>
    public static bool TryParse(ForwardKind kind, string? text, [NotNullWhen(true)] out ForwardSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        string prefix = $"{Option(kind)} '{Shorten(text)}'";
        string syntax = $" (syntax: {Option(kind)} {Syntax(kind)})";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"{Option(kind)}: the forward is empty" + syntax;
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"{prefix}: longer than {MaxLength} characters";
            return false;
        }

        if (!TrySplit(text.Trim(), out List<string>? fields, out error))
        {
            error = $"{prefix}: {error}" + syntax;
            return false;
        }

        string? bind = null, server = null, host = null;
        string bindPortText, targetPortText = "0";
        switch (kind)
        {
            case ForwardKind.Local or ForwardKind.Udp:
                switch (fields.Count)
                {
                    case 3:
                        (bindPortText, host, targetPortText) = (fields[0], fields[1], fields[2]);
                        break;
                    case 4 when IsDigits(fields[1]):
                        (bind, bindPortText, host, targetPortText) = (fields[0], fields[1], fields[2], fields[3]);
                        break;
                    case 4:
                        (bindPortText, server, host, targetPortText) = (fields[0], fields[1], fields[2], fields[3]);
                        break;
                    case 5:
                        (bind, bindPortText, server, host, targetPortText) = (fields[0], fields[1], fields[2], fields[3], fields[4]);
                        break;
                    default:
                        error = $"{prefix}: expected 3 to 5 fields separated by ':', found {fields.Count}" + syntax;
                        return false;
                }

                break;
            case ForwardKind.Remote:
                switch (fields.Count)
                {
                    case 3:
                        (bindPortText, host, targetPortText) = (fields[0], fields[1], fields[2]);
                        break;
                    case 4 when !IsDigits(fields[1]):
                        error = $"{prefix}: the listen port '{fields[1]}' is not a number 0-65535 (-R names no server: its port opens on the relay, or on the server agent in direct mode)" + syntax;
                        return false;
                    case 4:
                        (bind, bindPortText, host, targetPortText) = (fields[0], fields[1], fields[2], fields[3]);
                        break;
                    default:
                        error = $"{prefix}: expected 3 or 4 fields separated by ':', found {fields.Count}" + syntax;
                        return false;
                }

                break;
            case ForwardKind.Dynamic:
                switch (fields.Count)
                {
                    case 1:
                        bindPortText = fields[0];
                        break;
                    case 2 when IsDigits(fields[1]):
                        (bind, bindPortText) = (fields[0], fields[1]);
                        break;
                    case 2:
                        (bindPortText, server) = (fields[0], fields[1]);
                        break;
                    case 3:
                        (bind, bindPortText, server) = (fields[0], fields[1], fields[2]);
                        break;
                    default:
                        error = $"{prefix}: expected 1 to 3 fields separated by ':', found {fields.Count}" + syntax;
                        return false;
                }

                break;
            default:
                error = $"unknown forward kind {kind}";
                return false;
        }

        if (bind is not null && !IsHost(bind))
        {
            error = $"{prefix}: the bind address '{bind}' is not a host name or IP address" + syntax;
            return false;
        }

        if (!TryPort(bindPortText, allowZero: true, out int bindPort))
        {
            error = $"{prefix}: the listen port '{bindPortText}' is not a number 0-65535" + syntax;
            return false;
        }

        if (server is not null && !ServerName.IsValid(server))
        {
            error = $"{prefix}: '{server}' is not a server name (a-z, 0-9 and '-', starting with a letter)" + syntax;
            return false;
        }

        int targetPort = 0;
        if (kind != ForwardKind.Dynamic)
        {
            if (!IsHost(host))
            {
                error = $"{prefix}: the target host '{host}' is not a host name or IP address" + syntax;
                return false;
            }

            if (!TryPort(targetPortText, allowZero: false, out targetPort))
            {
                error = $"{prefix}: the target port '{targetPortText}' is not a number 1-65535" + syntax;
                return false;
            }
        }

        spec = new ForwardSpec(kind, bind ?? DefaultBindHost, bindPort, server, kind == ForwardKind.Dynamic ? null : host, targetPort);
        error = null;
        return true;
    }

    /// <summary>The syntax of a kind, as shown in error messages and help.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>For example <c>[bind:]port:[server:]host:hostport</c>.</returns>
    public static string Syntax(ForwardKind kind) => kind switch
    {
        ForwardKind.Local => "[bind:]port:[server:]host:hostport",
        ForwardKind.Remote => "[bind:]port:host:hostport",
        ForwardKind.Dynamic => "[bind:]port[:server]",
        ForwardKind.Udp => "[bind:]port:[server:]host:hostport",
        _ => "?",
    };

    /// <summary>The command-line option of a kind (<c>-L</c>, <c>-R</c>, <c>-D</c>, <c>-U</c>).</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The option.</returns>
    public static string Option(ForwardKind kind) => kind switch
    {
        ForwardKind.Local => "-L",
        ForwardKind.Remote => "-R",
        ForwardKind.Dynamic => "-D",
        ForwardKind.Udp => "-U",
        _ => "-?",
    };

    /// <summary>A copy with the server filled in when the spec names none.</summary>
    /// <param name="defaultServer">The server to use.</param>
    /// <returns>This spec, or a copy naming <paramref name="defaultServer"/>.</returns>
    public ForwardSpec WithDefaultServer(string? defaultServer) =>
        Server is not null || defaultServer is null || Kind == ForwardKind.Remote
            ? this
            : new ForwardSpec(Kind, BindHost, BindPort, defaultServer, TargetHost, TargetPort);

    /// <summary>The canonical text, without the option (parsing it gives an equal spec).</summary>
    /// <returns>For example <c>127.0.0.1:8080:office:localhost:80</c>.</returns>
    public override string ToString() => Format(Kind, BindHost, BindPort, Server, TargetHost, TargetPort);

    /// <inheritdoc/>
    public bool Equals(ForwardSpec? other) =>
        other is not null && Kind == other.Kind && BindHost == other.BindHost && BindPort == other.BindPort &&
        Server == other.Server && TargetHost == other.TargetHost && TargetPort == other.TargetPort;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ForwardSpec);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, BindHost, BindPort, Server, TargetHost, TargetPort);

    internal static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    private static string Format(ForwardKind kind, string? bindHost, int bindPort, string? server, string? targetHost, int targetPort)
    {
        var text = new StringBuilder();
        text.Append(FormatHost(bindHost ?? DefaultBindHost)).Append(':').Append(bindPort.ToString(CultureInfo.InvariantCulture));
        if (server is not null)
        {
            text.Append(':').Append(server);
        }

        if (kind != ForwardKind.Dynamic)
        {
            text.Append(':').Append(FormatHost(targetHost ?? string.Empty)).Append(':').Append(targetPort.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static bool TrySplit(string text, [NotNullWhen(true)] out List<string>? fields, [NotNullWhen(false)] out string? error)
    {
        fields = [];
        error = null;
        int i = 0;
        while (true)
        {
            string field;
            if (i < text.Length && text[i] == '[')
            {
                int close = text.IndexOf(']', i);
                if (close < 0)
                {
                    error = "a '[' has no matching ']'";
                    fields = null;
                    return false;
                }

                field = text[(i + 1)..close];
                if (field.Length == 0 || !field.Contains(':', StringComparison.Ordinal))
                {
                    error = $"'[{field}]': brackets are only for IPv6 addresses";
                    fields = null;
                    return false;
                }

                i = close + 1;
                if (i < text.Length && text[i] != ':')
                {
                    error = $"':' expected after '[{field}]'";
                    fields = null;
                    return false;
                }
            }
            else
            {
                int colon = text.IndexOf(':', i);
                int end = colon < 0 ? text.Length : colon;
                field = text[i..end];
                if (field.Contains('[', StringComparison.Ordinal) || field.Contains(']', StringComparison.Ordinal))
                {
                    error = $"'{field}': a bracket may only enclose a whole field";
                    fields = null;
                    return false;
                }

                i = end;
            }

            if (field.Length == 0)
            {
                error = $"field {fields.Count + 1} is empty";
                fields = null;
                return false;
            }

            fields.Add(field);
            if (i >= text.Length)
            {
                return true;
            }

            i++; // the ':'
            if (i >= text.Length)
            {
                error = "it ends with ':'";
                fields = null;
                return false;
            }
        }
    }

    private static bool IsDigits(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    private static bool TryPort(string text, bool allowZero, out int port) =>
        IsDigits(text) && text.Length <= 5 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) &&
        port <= 65535 && (allowZero || port > 0)
            ? true
            : (port = 0) != 0;

    /// <summary>A host name (letters, digits, '-', '.', '_'), an IPv4 or an IPv6 address; never all digits.</summary>
    internal static bool IsHost([NotNullWhen(true)] string? host)
    {
        if (string.IsNullOrEmpty(host) || host.Length > 253 || IsDigits(host))
        {
            return false;
        }

        if (host.Contains(':', StringComparison.Ordinal))
        {
            return System.Net.IPAddress.TryParse(host, out System.Net.IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        return host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_');
    }

    private static string Shorten(string? text) => text is null ? string.Empty : text.Length <= 80 ? text : text[..77] + "...";
}
