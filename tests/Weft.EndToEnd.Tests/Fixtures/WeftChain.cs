using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Weft.Testing;

namespace Weft.EndToEnd.Fixtures;

/// <summary>What a <see cref="WeftChain"/> sets up.</summary>
public sealed class WeftChainOptions
{
    /// <summary>The TCP target of the <c>-L</c> forward (null: no <c>-L</c>).</summary>
    public IPEndPoint? Target { get; set; }

    /// <summary>The UDP target of the <c>-U</c> forward (null: no <c>-U</c>).</summary>
    public IPEndPoint? UdpTarget { get; set; }

    /// <summary>Whether the client agent also runs a SOCKS5 server (<c>-D</c>).</summary>
    public bool Socks { get; set; }

    /// <summary>The server agent's name at the relay.</summary>
    public string ServerName { get; set; } = "lab";

    /// <summary>The server name the client's forwards ask for (default <see cref="ServerName"/>).</summary>
    public string? ClientAsksFor { get; set; }

    /// <summary>Target hosts the server agent allows the client key (YAML list items).</summary>
    public IReadOnlyList<string> AllowedHosts { get; set; } = ["127.0.0.1", "::1", "localhost"];

    /// <summary>Target ports the server agent allows ("*" or a range).</summary>
    public string AllowedPorts { get; set; } = "*";

    /// <summary>Whether the relay lists the client key at all (false: the relay does not know it).</summary>
    public bool RelayKnowsClient { get; set; } = true;

    /// <summary>Server names the relay lets the client reach (default: <see cref="ServerName"/>).</summary>
    public IReadOnlyList<string>? ClientMayReach { get; set; }

    /// <summary>Extra YAML lines for the relay's <c>limits:</c> (e.g. "max-total-streams: 1").</summary>
    public IReadOnlyList<string> RelayLimits { get; set; } = [];

    /// <summary>Extra YAML lines for the server agent's <c>limits:</c> (e.g. "max-streams: 2000").</summary>
    public IReadOnlyList<string> ServerLimits { get; set; } = [];

    /// <summary>Puts a <see cref="ChaosProxy"/> between each agent and the relay.</summary>
    public bool ChaosBetweenAgentsAndRelay { get; set; }

    /// <summary>The log level of every process.</summary>
    public string LogLevel { get; set; } = "information";

    /// <summary>The secure layer of the agent ↔ relay links: <c>noise</c> (weft's default) or <c>shs</c>.</summary>
    public string SecureLayer { get; set; } = "noise";

    /// <summary>Extra environment variables of all three processes (null values remove a variable); null for none.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; set; }
}

/// <summary>
/// Weft's three-hop chain as real processes on loopback, each started with <c>weft up -c FILE</c> from
/// its own YAML: a relay, a server agent that dials out to it, a client agent whose forwards lead
/// through them to the targets. Keys come from <c>weft keygen</c>. Every port is fixed when the chain
/// is created, so any process can be killed and started again on the same addresses (the sad cases).
/// Optionally a <see cref="ChaosProxy"/> sits between each agent and the relay.
/// </summary>
public sealed partial class WeftChain : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TestTimeout.Scaled(TimeSpan.FromSeconds(60));

    private readonly WeftChainOptions _options;
    private readonly string _directory;
    private ChaosProxy? _serverProxy;
    private ChaosProxy? _clientProxy;

    private WeftChain(WeftChainOptions options, string directory)
    {
        _options = options;
        _directory = directory;
    }

    /// <summary>The relay process (null when not running).</summary>
    public WeftProcess? Relay { get; private set; }

    /// <summary>The server agent process (null when not running).</summary>
    public WeftProcess? Server { get; private set; }

    /// <summary>The client agent process (null when not running).</summary>
    public WeftProcess? Client { get; private set; }

    /// <summary>The relay's public key.</summary>
    public string RelayKey { get; private set; } = string.Empty;

    /// <summary>The server agent's public key.</summary>
    public string ServerKey { get; private set; } = string.Empty;

    /// <summary>The client agent's public key.</summary>
    public string ClientKey { get; private set; } = string.Empty;

    /// <summary>The relay's TCP port.</summary>
    public int RelayPort { get; private set; }

    /// <summary>The <c>-L</c> entry (127.0.0.1).</summary>
    public IPEndPoint LocalForward { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The <c>-D</c> SOCKS5 entry (127.0.0.1).</summary>
    public IPEndPoint SocksEntry { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The <c>-U</c> UDP entry (127.0.0.1).</summary>
    public IPEndPoint UdpEntry { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The chaos proxy between the server agent and the relay (with <see cref="WeftChainOptions.ChaosBetweenAgentsAndRelay"/>).</summary>
    public ChaosProxy? ServerLink => _serverProxy;

    /// <summary>The chaos proxy between the client agent and the relay.</summary>
    public ChaosProxy? ClientLink => _clientProxy;

    /// <summary>The directory holding the keys and configs.</summary>
    public string Directory => _directory;

    /// <summary>Creates keys, picks ports and writes the three configs; starts nothing.</summary>
    /// <param name="options">What to set up.</param>
    /// <param name="cancellationToken">Cancels the setup.</param>
    /// <returns>The chain, with no process running.</returns>
    public static async Task<WeftChain> CreateAsync(WeftChainOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var chain = new WeftChain(options, System.IO.Directory.CreateTempSubdirectory("weft-chain-").FullName);
        try
        {
            await chain.SetUpAsync(cancellationToken).ConfigureAwait(false);
            return chain;
        }
        catch
        {
            await chain.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates the chain and starts relay, server agent and client agent in that order, then waits until a probe passes.</summary>
    /// <param name="options">What to set up.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running chain.</returns>
    public static Task<WeftChain> StartAsync(WeftChainOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(options, waitUntilUsable: true, cancellationToken);

    /// <summary>
    /// Creates the chain and starts relay, server agent and client agent in that order; with
    /// <paramref name="waitUntilUsable"/> waits until a probe through <c>-L</c> passes, otherwise until the
    /// relay has registered the server agent (for chains that are meant to refuse).
    /// </summary>
    /// <param name="options">What to set up.</param>
    /// <param name="waitUntilUsable">Probe the <c>-L</c> forward until it carries bytes.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running chain.</returns>
    public static async Task<WeftChain> StartAsync(WeftChainOptions options, bool waitUntilUsable, CancellationToken cancellationToken = default)
    {
        WeftChain chain = await CreateAsync(options, cancellationToken).ConfigureAwait(false);
        try
        {
            await chain.StartRelayAsync(cancellationToken).ConfigureAwait(false);
            await chain.StartServerAsync(cancellationToken).ConfigureAwait(false);
            await chain.StartClientAsync(cancellationToken).ConfigureAwait(false);
            if (options.Target is not null && waitUntilUsable)
            {
                await Recovery.WaitAsync(chain.LocalForward, s_startTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await chain.WaitForServerRegisteredAsync(0, cancellationToken).ConfigureAwait(false);
                await chain.Client!.Runner.WaitForLineAsync(ClientConnectedLine(), s_startTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return chain;
        }
        catch
        {
            await chain.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the relay and waits for its listening line.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the relay listens.</returns>
    public async Task StartRelayAsync(CancellationToken cancellationToken = default)
    {
        Relay = WeftProcess.Start("relay", ["up", "-c", Path.Combine(_directory, "relay.yaml")], _options.Environment);
        await Relay.WaitForListeningAsync(null, s_startTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the server agent (it dials the relay on its own, retrying).</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the process has started.</returns>
    public Task StartServerAsync(CancellationToken cancellationToken = default)
    {
        Server = WeftProcess.Start("server agent", ["up", "-c", Path.Combine(_directory, "server.yaml")], _options.Environment);
        return Task.CompletedTask;
    }

    /// <summary>Starts the client agent and waits for the listening line of each forward.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the forwards listen.</returns>
    public async Task StartClientAsync(CancellationToken cancellationToken = default)
    {
        Client = WeftProcess.Start("client agent", ["up", "-c", Path.Combine(_directory, "client.yaml")], _options.Environment);
        if (_options.Target is not null)
        {
            await Client.WaitForListeningAsync($":{LocalForward.Port}\\b", s_startTimeout, cancellationToken).ConfigureAwait(false);
        }

        if (_options.Socks)
        {
            await Client.WaitForListeningAsync($":{SocksEntry.Port}\\b", s_startTimeout, cancellationToken).ConfigureAwait(false);
        }

        if (_options.UdpTarget is not null)
        {
            await Client.WaitForListeningAsync($":{UdpEntry.Port}\\b", s_startTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the relay to log that a server agent registered its name (from relay output line <paramref name="fromLine"/> on).</summary>
    /// <param name="fromLine">Ignore earlier relay lines.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the name is registered.</returns>
    public async Task WaitForServerRegisteredAsync(int fromLine = 0, CancellationToken cancellationToken = default)
    {
        WeftProcess relay = Relay ?? throw new InvalidOperationException("the relay is not running");
        await relay.Runner.WaitForLineAsync(new Regex($@"registered\b.*\b{Regex.Escape(_options.ServerName)}\b"), s_startTimeout, fromLine, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the relay (SIGKILL) and forgets it.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public async Task KillRelayAsync()
    {
        await KillAsync(Relay).ConfigureAwait(false);
        Relay = null;
    }

    /// <summary>Kills the server agent (SIGKILL) and forgets it.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public async Task KillServerAsync()
    {
        await KillAsync(Server).ConfigureAwait(false);
        Server = null;
    }

    /// <summary>Kills the client agent (SIGKILL) and forgets it.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public async Task KillClientAsync()
    {
        await KillAsync(Client).ConfigureAwait(false);
        Client = null;
    }

    /// <summary>The output of every process, for failure messages.</summary>
    /// <returns>The diagnostics of the running processes.</returns>
    public string Diagnostics()
    {
        var text = new StringBuilder();
        foreach (WeftProcess? process in new[] { Relay, Server, Client })
        {
            if (process is not null)
            {
                text.AppendLine(process.Runner.Diagnostics());
            }
        }

        return text.ToString();
    }

    /// <summary>Kills every process and deletes the directory.</summary>
    /// <returns>A task that completes when everything is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        await KillClientAsync().ConfigureAwait(false);
        await KillServerAsync().ConfigureAwait(false);
        await KillRelayAsync().ConfigureAwait(false);
        if (_serverProxy is not null)
        {
            await _serverProxy.DisposeAsync().ConfigureAwait(false);
        }

        if (_clientProxy is not null)
        {
            await _clientProxy.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs <c>weft keygen -o PATH</c> and returns the public key it prints.</summary>
    /// <param name="path">Where the identity goes.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The public key (base64).</returns>
    public static async Task<string> KeygenAsync(string path, CancellationToken cancellationToken = default)
    {
        await using WeftProcess keygen = WeftProcess.Start("keygen", ["keygen", "-o", path]);
        keygen.Runner.CloseStandardInput();
        int exit = await keygen.Runner.WaitForExitAsync(s_startTimeout, cancellationToken).ConfigureAwait(false);
        Match match = PublicLine().Match(keygen.Runner.StandardOutput);
        return exit == 0 && match.Success
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"weft keygen failed or printed no 'public: ID' line.\n{keygen.Runner.Diagnostics()}");
    }

    /// <summary>
    /// The three identities are made once per run by the real <c>weft keygen</c> and copied into each
    /// chain (a chain is isolated by its ports and directory; a fresh key per chain would only cost time).
    /// </summary>
    private static readonly SemaphoreSlim s_keysGate = new(1, 1);
    private static string? s_keysDirectory;
    private static readonly Dictionary<string, string> s_publicKeys = [];

    private async Task<string> CopyKeyAsync(string name, CancellationToken cancellationToken)
    {
        await s_keysGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (s_keysDirectory is null)
            {
                string directory = System.IO.Directory.CreateTempSubdirectory("weft-keys-").FullName;
                foreach (string key in new[] { "relay.key", "server.key", "client.key", "stranger.key" })
                {
                    s_publicKeys[key] = await KeygenAsync(Path.Combine(directory, key), cancellationToken).ConfigureAwait(false);
                }

                s_keysDirectory = directory;
            }
        }
        finally
        {
            s_keysGate.Release();
        }

        string destination = Path.Combine(_directory, name);
        File.Copy(Path.Combine(s_keysDirectory, name), destination);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(destination, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return s_publicKeys[name];
    }

    /// <summary>Replaces the client agent's identity with a key no relay or server knows (the "unknown key" refusal).</summary>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>The stranger's public key.</returns>
    public async Task<string> UseStrangerClientKeyAsync(CancellationToken cancellationToken = default)
    {
        string stranger = await CopyKeyAsync("stranger.key", cancellationToken).ConfigureAwait(false);
        string client = Path.Combine(_directory, "client.yaml");
        string yaml = await File.ReadAllTextAsync(client, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(client, yaml.Replace(Path.Combine(_directory, "client.key"), Path.Combine(_directory, "stranger.key"), StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
        return stranger;
    }

    private static async Task KillAsync(WeftProcess? process)
    {
        if (process is not null)
        {
            await process.Runner.KillAsync().ConfigureAwait(false);
            await process.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task SetUpAsync(CancellationToken cancellationToken)
    {
        RelayKey = await CopyKeyAsync("relay.key", cancellationToken).ConfigureAwait(false);
        ServerKey = await CopyKeyAsync("server.key", cancellationToken).ConfigureAwait(false);
        ClientKey = await CopyKeyAsync("client.key", cancellationToken).ConfigureAwait(false);
        RelayPort = Tools.FreeTcpPort();
        LocalForward = new IPEndPoint(IPAddress.Loopback, Tools.FreeTcpPort());
        SocksEntry = new IPEndPoint(IPAddress.Loopback, Tools.FreeTcpPort());
        UdpEntry = new IPEndPoint(IPAddress.Loopback, Tools.FreeUdpPort());

        int serverDials = RelayPort;
        int clientDials = RelayPort;
        if (_options.ChaosBetweenAgentsAndRelay)
        {
            var relay = new IPEndPoint(IPAddress.Loopback, RelayPort);
            _serverProxy = ChaosProxy.Start(relay);
            _clientProxy = ChaosProxy.Start(relay);
            serverDials = _serverProxy.EndPoint.Port;
            clientDials = _clientProxy.EndPoint.Port;
        }

        await File.WriteAllTextAsync(Path.Combine(_directory, "relay.yaml"), RelayYaml(), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(_directory, "server.yaml"), ServerYaml(serverDials), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(_directory, "client.yaml"), ClientYaml(clientDials), cancellationToken).ConfigureAwait(false);
    }

    private string Common(string key) => $"""
        identity: {Path.Combine(_directory, key)}
        control:
          socket: {Path.Combine(_directory, Path.ChangeExtension(key, ".sock"))}
        log:
          level: {_options.LogLevel}

        """;

    private string RelayYaml()
    {
        var yaml = new StringBuilder(Common("relay.key"));
        yaml.AppendLine("relay:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  listen: [\"net:127.0.0.1:{RelayPort}~{_options.SecureLayer}\"]");
        yaml.AppendLine("  servers:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"    - name: {_options.ServerName}");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      keys: [\"{ServerKey}\"]");
        if (_options.RelayKnowsClient)
        {
            yaml.AppendLine("  clients:");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    - keys: [\"{ClientKey}\"]");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"      servers: [{string.Join(", ", (_options.ClientMayReach ?? [_options.ServerName]).Select(n => $"\"{n}\""))}]");
        }

        if (_options.RelayLimits.Count > 0)
        {
            yaml.AppendLine("  limits:");
            foreach (string line in _options.RelayLimits)
            {
                yaml.AppendLine("    " + line);
            }
        }

        return yaml.ToString();
    }

    private string ServerYaml(int relayPort)
    {
        var yaml = new StringBuilder(Common("server.key"));
        yaml.AppendLine("server:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  name: {_options.ServerName}");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  relays: [\"net:127.0.0.1:{relayPort}~{_options.SecureLayer}:{RelayKey}\"]");
        yaml.AppendLine("  allow:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"    - keys: [\"{ClientKey}\"]");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      hosts: [{string.Join(", ", _options.AllowedHosts.Select(h => $"\"{h}\""))}]");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      ports: \"{_options.AllowedPorts}\"");
        if (_options.ServerLimits.Count > 0)
        {
            yaml.AppendLine("  limits:");
            foreach (string line in _options.ServerLimits)
            {
                yaml.AppendLine("    " + line);
            }
        }

        yaml.AppendLine(Reconnect);
        return yaml.ToString();
    }

    private string ClientYaml(int relayPort)
    {
        string server = _options.ClientAsksFor ?? _options.ServerName;
        var yaml = new StringBuilder(Common("client.key"));
        yaml.AppendLine("client:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  upstream: \"net:127.0.0.1:{relayPort}~{_options.SecureLayer}:{RelayKey}\"");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  server: {server}");
        yaml.AppendLine("  forwards:");
        if (_options.Target is { } target)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    - \"-L 127.0.0.1:{LocalForward.Port}:{server}:{Host(target.Address)}:{target.Port}\"");
        }

        if (_options.Socks)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    - \"-D 127.0.0.1:{SocksEntry.Port}:{server}\"");
        }

        if (_options.UdpTarget is { } udp)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    - \"-U 127.0.0.1:{UdpEntry.Port}:{server}:{Host(udp.Address)}:{udp.Port}\"");
        }

        yaml.AppendLine(Reconnect);
        return yaml.ToString();
    }

    // Tests restart processes on purpose: retry quickly so a recovery is measured, not a backoff.
    private const string Reconnect = """
          reconnect:
            initial: 100ms
            max: 1s
        """;

    private static string Host(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    [GeneratedRegex(@"^connected: client\b")]
    private static partial Regex ClientConnectedLine();

    [GeneratedRegex(@"^public: (\S+)", RegexOptions.Multiline)]
    private static partial Regex PublicLine();
}
