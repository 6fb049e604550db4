using System.Net.Sockets;

namespace Weft.Cli.Control;

/// <summary>Reads the status of a running weft from its control socket.</summary>
internal static class ControlClient
{
    /// <summary>Fetches <c>/status</c>: the JSON body.</summary>
    /// <exception cref="IOException">Nothing answers at <paramref name="path"/>, or the answer is not a status.</exception>
    public static async Task<byte[]> GetStatusAsync(string path, CancellationToken cancellationToken = default)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            await socket.SendAsync(ControlProtocol.StatusRequest, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            using var response = new MemoryStream();
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (response.Length + n > ControlProtocol.MaxResponse)
                {
                    throw new IOException($"control socket '{path}' answered more than {ControlProtocol.MaxResponse} bytes; is it a weft control socket?");
                }

                response.Write(buffer, 0, n);
            }

            if (!ControlProtocol.TryParseResponse(response.GetBuffer().AsSpan(0, (int)response.Length), out int status, out ReadOnlySpan<byte> body))
            {
                throw new IOException($"control socket '{path}' did not answer like a weft control socket");
            }

            return status == 200
                ? body.ToArray()
                : throw new IOException($"control socket '{path}' answered {status}: {System.Text.Encoding.UTF8.GetString(body).Trim()}");
        }
        catch (SocketException e)
        {
            throw new IOException($"nothing answers on control socket '{path}' ({e.SocketErrorCode}); is weft running? (stale socket files are replaced when weft starts)", e);
        }
    }
}
