using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// A throwaway OpenSSH server on 127.0.0.1 for the current user: a fresh host key and client key in a
/// temporary directory, its own config (<c>sshd -D -e -f</c>), public-key login only, an unprivileged
/// port, <c>StrictModes no</c> (the keys live under the world-writable temp directory) and no PAM, so it
/// runs both as root and as an ordinary user (who can then log in only as themself). Disposing stops it
/// and deletes the directory.
/// </summary>
public sealed partial class SshServer : IAsyncDisposable
{
    private const int PortAttempts = 5;

    private readonly ProcessRunner _sshd;

    private SshServer(string directory, int port, ProcessRunner sshd)
    {
        Directory = directory;
        Port = port;
        _sshd = sshd;
    }

    /// <summary>The temporary directory holding the keys and the config.</summary>
    public string Directory { get; }

    /// <summary>The port sshd listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>The endpoint sshd listens on.</summary>
    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>The private key the client logs in with.</summary>
    public string ClientKeyPath => Path.Combine(Directory, "client_key");

    /// <summary>The user the client logs in as: whoever runs the tests.</summary>
    public static string User => Environment.UserName;

    /// <summary>The sshd process (its log is in its output: <c>-e</c>).</summary>
    public ProcessRunner Process => _sshd;

    /// <summary>Creates the keys and the config and starts sshd, retrying with another port if one was taken meanwhile.</summary>
    /// <param name="timeout">How long sshd may take to listen.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public static async Task<SshServer> StartAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("weft-sshd-").FullName;
        try
        {
            await KeygenAsync(Path.Combine(directory, "host_key"), cancellationToken).ConfigureAwait(false);
            await KeygenAsync(Path.Combine(directory, "client_key"), cancellationToken).ConfigureAwait(false);
            File.Copy(Path.Combine(directory, "client_key.pub"), Path.Combine(directory, "authorized_keys"));
            if (Environment.IsPrivilegedProcess)
            {
                // sshd running as root insists on its privilege-separation directory (Debian makes it at boot).
                System.IO.Directory.CreateDirectory("/run/sshd");
            }

            for (int attempt = 1; ; attempt++)
            {
                int port = Tools.FreeTcpPort();
                string config = Path.Combine(directory, "sshd_config");
                await File.WriteAllTextAsync(config, Config(directory, port), cancellationToken).ConfigureAwait(false);
                ProcessRunner sshd = ProcessRunner.Start("sshd", Tools.Sshd, ["-D", "-e", "-f", config]);
                try
                {
                    await sshd.WaitForLineAsync(ListeningLine(), timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return new SshServer(directory, port, sshd);
                }
                catch (InvalidOperationException) when (attempt < PortAttempts && sshd.HasLine(AddressInUse()))
                {
                    await sshd.DisposeAsync().ConfigureAwait(false);
                }
                catch
                {
                    await sshd.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    /// <summary>
    /// The ssh client arguments for a non-interactive login to 127.0.0.1:<paramref name="port"/> with the
    /// client key: no user config, batch mode, no host-key checks (every run has a new host key).
    /// </summary>
    /// <param name="port">The port to connect to: sshd's own, or a forward that leads to it.</param>
    /// <returns>The options, ending with the host; append the remote command.</returns>
    public IReadOnlyList<string> ClientArguments(int port) =>
    [
        "-F", "/dev/null",
        "-i", ClientKeyPath,
        "-p", port.ToString(CultureInfo.InvariantCulture),
        "-l", User,
        "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=no",
        "-o", "LogLevel=ERROR",
        "-o", "ConnectTimeout=20",
        "127.0.0.1",
    ];

    /// <summary>Runs <c>ssh … 127.0.0.1 COMMAND</c> through <paramref name="port"/> to completion.</summary>
    /// <param name="port">sshd's port or a forward to it.</param>
    /// <param name="command">The remote command (run by the user's shell on the server).</param>
    /// <param name="timeout">How long ssh may take.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The exit code and the output.</returns>
    public async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(int port, string command, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await using ProcessRunner ssh = ProcessRunner.Start("ssh", Tools.Ssh, [.. ClientArguments(port), command]);
        ssh.CloseStandardInput();
        int exit = await ssh.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        return (exit, ssh.StandardOutput, ssh.StandardError);
    }

    /// <summary>
    /// Starts <c>ssh -N -L 127.0.0.1:LOCAL:TARGET</c> through this server (the classic one-hop forward)
    /// and waits until the local port accepts.
    /// </summary>
    /// <param name="target">Where sshd connects for each forwarded connection.</param>
    /// <param name="timeout">How long the forward may take to come up.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The ssh process and the local port.</returns>
    public async Task<(ProcessRunner Ssh, int LocalPort)> StartLocalForwardAsync(IPEndPoint target, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        int localPort = Tools.FreeTcpPort();
        string forward = FormattableString.Invariant($"127.0.0.1:{localPort}:{target.Address}:{target.Port}");
        ProcessRunner ssh = ProcessRunner.Start("ssh -L", Tools.Ssh, ["-N", "-o", "ExitOnForwardFailure=yes", "-L", forward, .. ClientArguments(Port)]);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task connected = Tools.WaitForTcpAsync(new IPEndPoint(IPAddress.Loopback, localPort), timeout, linked.Token);
            Task exited = ssh.WaitForExitAsync(timeout, linked.Token);
            if (await Task.WhenAny(connected, exited).ConfigureAwait(false) == exited)
            {
                throw new InvalidOperationException($"ssh -L exited before its forward came up.\n{ssh.Diagnostics()}");
            }

            await linked.CancelAsync().ConfigureAwait(false);
            await connected.ConfigureAwait(false);
            return (ssh, localPort);
        }
        catch
        {
            await ssh.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops sshd and deletes the directory.</summary>
    /// <returns>A task that completes when sshd is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        await _sshd.DisposeAsync().ConfigureAwait(false);
        TryDelete(Directory);
    }

    private static string Config(string directory, int port) => string.Join('\n',
    [
        FormattableString.Invariant($"ListenAddress 127.0.0.1:{port}"),
        $"HostKey {Path.Combine(directory, "host_key")}",
        $"AuthorizedKeysFile {Path.Combine(directory, "authorized_keys")}",
        "PidFile none",
        "UsePAM no",
        "StrictModes no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "AllowTcpForwarding yes",
        "MaxStartups 100:30:200",
        "LogLevel INFO",
        string.Empty,
    ]);

    private static async Task KeygenAsync(string path, CancellationToken cancellationToken)
    {
        await using ProcessRunner keygen = ProcessRunner.Start("ssh-keygen", Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", string.Empty, "-C", "weft-test", "-f", path]);
        keygen.CloseStandardInput();
        int exit = await keygen.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new InvalidOperationException($"ssh-keygen failed.\n{keygen.Diagnostics()}");
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex(@"^Server listening on 127\.0\.0\.1 port (\d+)\.")]
    private static partial Regex ListeningLine();

    [GeneratedRegex("Address already in use")]
    private static partial Regex AddressInUse();
}
