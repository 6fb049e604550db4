using System.Net.Sockets;
using Weft.Transports.Net;
using Weft.Transports.Registry;

namespace Weft.Transports.Unix;

/// <summary>
/// The <c>unix</c> transport: Unix domain stream sockets. Address: <c>unix:PATH</c> (a ':' in the path
/// splits into fields and is re-joined). Listening removes a stale socket file (one nobody accepts on) and
/// refuses a live one; the file is deleted when the listener is disposed. Advertised in device scope only.
/// Streams are <see cref="SocketStream"/>.
/// </summary>
public sealed class UnixTransport : ITransport
{
    /// <summary>The protocol name, <c>unix</c>.</summary>
    public const string ProtocolName = "unix";

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <inheritdoc/>
    public bool CanDial => true;

    /// <inheritdoc/>
    public bool CanListen => true;

    /// <summary>The address part for a socket path.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The part, e.g. <c>unix:/run/weft.sock</c>.</returns>
    public static ProtocolPart ToPart(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new ProtocolPart(ProtocolName, path.Split(':'));
    }

    /// <inheritdoc/>
    public IConnectionDialer CreateDialer(ProtocolPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return new UnixDialer(new Address(part), GetPath(part));
    }

    /// <inheritdoc/>
    public async ValueTask<IConnectionListener> ListenAsync(ProtocolPart part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(part);
        string path = GetPath(part);
        var endpoint = new UnixDomainSocketEndPoint(path);
        if (File.Exists(path))
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await probe.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                throw new TransportException(TransportError.ListenFailed, $"Cannot listen on '{part}': another process is listening on that socket.");
            }
            catch (SocketException)
            {
                File.Delete(path);
            }
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TransportException(TransportError.ListenFailed, $"Cannot listen on '{part}': {ex.Message}", ex);
        }

        var address = new Address(part);
        return new SocketListener(
            socket,
            address,
            noDelay: false,
            (scope, _) => scope == AddressScope.Device ? [address] : [],
            () => TryDelete(path));
    }

    internal static string GetPath(ProtocolPart part)
    {
        string path = part.JoinFields(0, part.Fields.Count);
        if (path.Length == 0)
        {
            throw new TransportException(TransportError.InvalidAddress, $"'{part}': unix needs a socket path (unix:PATH).");
        }

        return path;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
