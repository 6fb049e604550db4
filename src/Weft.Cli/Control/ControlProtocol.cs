using System.Text;

namespace Weft.Cli.Control;

/// <summary>
/// The control endpoint speaks a small subset of HTTP/1.1 over a unix socket, so that both
/// <c>weft status</c> and <c>curl --unix-socket PATH http://weft/status</c> can read it:
/// <c>GET /status</c> answers the status as JSON, then the connection closes. The request head is
/// bounded (<see cref="MaxRequestHead"/>) and must arrive within a timeout.
/// </summary>
internal static class ControlProtocol
{
    /// <summary>Largest request head accepted (request line and headers).</summary>
    public const int MaxRequestHead = 8 * 1024;

    /// <summary>Largest response <c>weft status</c> reads.</summary>
    public const int MaxResponse = 16 * 1024 * 1024;

    /// <summary>The request <c>weft status</c> sends.</summary>
    public static readonly byte[] StatusRequest = "GET /status HTTP/1.1\r\nHost: weft\r\nConnection: close\r\n\r\n"u8.ToArray();

    /// <summary>Where the head ends (index after the blank line), or -1 when it has not all arrived.</summary>
    public static int FindHeadEnd(ReadOnlySpan<byte> buffer)
    {
        int i = buffer.IndexOf("\r\n\r\n"u8);
        if (i >= 0)
        {
            return i + 4;
        }

        i = buffer.IndexOf("\n\n"u8);
        return i >= 0 ? i + 2 : -1;
    }

    /// <summary>
    /// Parses a request head: the method must be GET and the target a path. Returns the HTTP status to
    /// answer (200 for <c>/status</c> and <c>/</c>, 404 for other paths, 405 for other methods, 400 for
    /// anything malformed).
    /// </summary>
    public static int Route(ReadOnlySpan<byte> head, out string detail)
    {
        int lineEnd = head.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line = (lineEnd < 0 ? head : head[..lineEnd]).TrimEnd("\r"u8);
        foreach (byte b in line)
        {
            if (b is < 0x20 or > 0x7E)
            {
                detail = "request line is not printable ASCII";
                return 400;
            }
        }

        string text = Encoding.ASCII.GetString(line);
        string[] parts = text.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !parts[1].StartsWith('/'))
        {
            detail = "expected 'GET /status HTTP/1.1'";
            return 400;
        }

        if (parts[0] != "GET")
        {
            detail = $"method {parts[0]} not allowed; use GET";
            return 405;
        }

        string path = parts[1].Split('?')[0];
        if (path is "/status" or "/")
        {
            detail = path;
            return 200;
        }

        detail = $"no resource {path}; try /status";
        return 404;
    }

    public static byte[] Response(int status, string contentType, ReadOnlySpan<byte> body)
    {
        string reason = status switch
        {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            431 => "Request Header Fields Too Large",
            _ => "Error",
        };
        byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        byte[] all = new byte[head.Length + body.Length];
        head.CopyTo(all, 0);
        body.CopyTo(all.AsSpan(head.Length));
        return all;
    }

    /// <summary>Splits a whole response into status code and body.</summary>
    public static bool TryParseResponse(ReadOnlySpan<byte> response, out int status, out ReadOnlySpan<byte> body)
    {
        status = 0;
        body = default;
        int end = FindHeadEnd(response);
        if (end < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> head = response[..end];
        int lineEnd = head.IndexOf((byte)'\n');
        string line = Encoding.ASCII.GetString(head[..lineEnd]).TrimEnd('\r');
        string[] parts = line.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) ||
            !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out status))
        {
            return false;
        }

        body = response[end..];
        return true;
    }
}
