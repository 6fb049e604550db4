using System.Net;
using System.Net.Sockets;

namespace Weft.EndToEnd.Fixtures;

/// <summary>Finds the real programs the end-to-end tests and the tunnel benchmark run, and free loopback ports.</summary>
public static class Tools
{
    private const string InstallHint = "Run `sudo scripts/install-deps.sh` (it installs openssh-server, openssh-client, socat and curl).";

    /// <summary>OpenSSH's server. It must be started with an absolute path (it re-executes itself).</summary>
    public static string Sshd => Find("sshd", "/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd");

    /// <summary>The OpenSSH client.</summary>
    public static string Ssh => Find("ssh");

    /// <summary>OpenSSH's key generator.</summary>
    public static string SshKeygen => Find("ssh-keygen");

    /// <summary>socat, for the three-hop baseline chain.</summary>
    public static string Socat => Find("socat");

    /// <summary>curl, the SOCKS5 client.</summary>
    public static string Curl => Find("curl");

    /// <summary>
    /// Finds an executable: the absolute <paramref name="candidates"/> first, then every directory of
    /// PATH plus the sbin directories (which a non-root PATH often lacks). Throws with an install hint.
    /// </summary>
    /// <param name="name">The program name.</param>
    /// <param name="candidates">Absolute paths to try first.</param>
    /// <returns>The absolute path.</returns>
    public static string Find(string name, params string[] candidates)
    {
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string candidate in candidates.Concat(path.Concat(["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"]).Select(d => Path.Combine(d, name))))
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"'{name}' is not installed (looked in PATH and the sbin directories). {InstallHint}", name);
    }

    /// <summary>
    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). For programs
    /// that cannot listen on port 0 and report it; a caller that loses the race retries with another.
    /// </summary>
    /// <returns>The port number.</returns>
    public static int FreeTcpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A UDP port on 127.0.0.1 that was free a moment ago.</summary>
    /// <returns>The port number.</returns>
    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Waits until a TCP connect to <paramref name="endpoint"/> succeeds (the connection is closed at once).</summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="timeout">How long to keep trying.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the port accepts.</returns>
    public static async Task WaitForTcpAsync(IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"Nothing accepted TCP connections on {endpoint} within {timeout.TotalSeconds:0.#} s.", e);
            }
        }
    }
}
