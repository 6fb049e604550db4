using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Weft.Cli.Config;
using Weft.Cli.Control;
using Weft.Crypto.Keys;
using Weft.Security;
using Weft.Transports;
using Weft.Tunnel;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Status;

namespace Weft.Cli.Hosting;

/// <summary>
/// Runs the roles of a <see cref="WeftConfig"/> in this process: starts the relay, then the server agents,
/// then the client agents; opens the control socket; prints the parseable lines (<c>listening: …</c>,
/// <c>connected: …</c>, <c>ready: …</c>) on standard output; and on stop disposes everything in reverse
/// order (listeners close, sessions are GoAway'd).
/// </summary>
internal sealed partial class WeftHost : IAsyncDisposable
{
    private readonly WeftConfig _config;
    private readonly TextWriter _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly List<RunningRole> _roles = [];
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly Stopwatch _uptime = Stopwatch.StartNew();
    private readonly Lock _outputLock = new();
    private ControlServer? _control;
    private bool _disposed;

    public WeftHost(WeftConfig config, TextWriter output, ILoggerFactory loggerFactory)
    {
        _config = config;
        _output = output;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Weft.Cli");
    }

    /// <summary>The running roles (for the demo and tests).</summary>
    public IReadOnlyList<RunningRole> Roles => _roles;

    /// <summary>The control socket path, when open.</summary>
    public string? ControlPath => _control?.Path;

    /// <summary>Runs <paramref name="config"/> until <paramref name="stopping"/> is cancelled.</summary>
    /// <returns>0 after a clean stop; 1 when a role could not start (the reason is on standard error).</returns>
    public static async Task<int> RunAsync(WeftConfig config, TextWriter output, TextWriter error, CancellationToken stopping)
    {
        using ILoggerFactory loggerFactory = Logging.Create(config.LogLevel, config.LogFormat);
        var host = new WeftHost(config, output, loggerFactory);
        await using var hostScope = host.ConfigureAwait(false);
        try
        {
            await host.StartAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }
        catch (ConfigException e)
        {
            await error.WriteLineAsync($"weft: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (IsStartFailure(e))
        {
            await error.WriteLineAsync($"weft: {Describe(e)}").ConfigureAwait(false);
            return 1;
        }

        host.WriteLine($"ready: pid {Environment.ProcessId}");
        try
        {
            await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM: stop below.
        }

        LogStopping(host._logger);
        await host.DisposeAsync().ConfigureAwait(false);
        LogStopped(host._logger);
        return 0;
    }

    /// <summary>Starts every role and the control socket.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_config.Relay is { } relay)
        {
            await StartRelayAsync(relay, cancellationToken).ConfigureAwait(false);
        }

        foreach (ServerRole server in _config.Servers)
        {
            await StartServerAsync(server, cancellationToken).ConfigureAwait(false);
        }

        foreach (ClientRole client in _config.Clients)
        {
            await StartClientAsync(client, cancellationToken).ConfigureAwait(false);
        }

        if (_config.ControlSocket is { } path)
        {
            _control = await ControlServer.StartAsync(path, () => GetStatus().ToJson(), _logger, cancellationToken).ConfigureAwait(false);
            WriteLine($"control: {_control.Path}");
        }
    }

    /// <summary>The status document the control socket serves.</summary>
    public StatusDocument GetStatus() => new()
    {
        Version = typeof(WeftHost).Assembly.GetName().Version?.ToString(3) ?? "0",
        Pid = Environment.ProcessId,
        StartedAt = _startedAt,
        UptimeSeconds = Math.Round(_uptime.Elapsed.TotalSeconds, 1),
        Source = _config.Source,
        Control = _control?.Path,
        SocketCompletions = SocketCompletions.Mode,
        Roles = _roles.Select(r =>
        {
            try
            {
                return RoleStatus.From(r.Role, r.Name, r.Host.GetStatus());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return new RoleStatus { Role = r.Role, Name = r.Name, Error = e.Message };
            }
        }).ToList(),
    };

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_control is not null)
        {
            await _control.DisposeAsync().ConfigureAwait(false);
            _control = null;
        }

        // Clients first, the relay last: agents say goodbye while their upstream still listens.
        for (int i = _roles.Count - 1; i >= 0; i--)
        {
            RunningRole role = _roles[i];
            role.Host.Changed -= role.OnChanged;
            try
            {
                await role.Host.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogStopFailed(_logger, role.Role, e);
            }

            role.Identity.Dispose();
        }

        _roles.Clear();
    }

    private static bool IsStartFailure(Exception e) =>
        e is ConfigException or IOException or ArgumentException or FormatException or InvalidOperationException or UnauthorizedAccessException
            or System.Net.Sockets.SocketException;

    private static string Describe(Exception e) => e switch
    {
        ConfigException c => c.Message,
        ArgumentException a => a.Message.Split(" (Parameter", 2)[0],
        _ => e.Message,
    };

    private async Task StartRelayAsync(RelayRole relay, CancellationToken cancellationToken)
    {
        Ed25519Identity identity = relay.Identity.Load();
        var registry = TransportSetup.Create(identity, _config.NetworkKey, (key, _) => ValueTask.FromResult(relay.Acl.IsKnownKey(key.ToString())));
        TunnelRelay host;
        try
        {
            host = new TunnelRelay(
                new TunnelRelayOptions
                {
                    Registry = registry,
                    Listen = relay.Listen,
                    Acl = relay.Acl,
                    Limits = relay.Limits,
                    Mux = _config.Mux.Create(),
                    RequestTimeout = relay.RequestTimeout,
                },
                _loggerFactory);
        }
        catch
        {
            identity.Dispose();
            throw;
        }

        var role = Track(new RunningRole("relay", null, host, identity));
        await StartOrExplainAsync(role, host.StartAsync, cancellationToken).ConfigureAwait(false);
        foreach (MultiAddress address in host.BoundAddresses)
        {
            WriteLine($"listening: relay {address}");
        }

        LogRoleStarted(_logger, "relay", identity.PublicKey);
    }

    private async Task StartServerAsync(ServerRole server, CancellationToken cancellationToken)
    {
        Ed25519Identity identity = server.Identity.Load();
        IReadOnlySet<string>? known = server.KnownClientKeys();
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize = known is null
            ? SecretHandshake.AllowAnyClient
            : (key, _) => ValueTask.FromResult(known.Contains(key.ToString()));
        var registry = TransportSetup.Create(identity, _config.NetworkKey, server.Listen.Count > 0 ? authorize : null);
        ServerAgent host;
        try
        {
            host = new ServerAgent(
                new ServerAgentOptions
                {
                    Registry = registry,
                    Names = server.Names,
                    Relays = server.Relays,
                    Listen = server.Listen,
                    Acl = server.Acl,
                    ReverseForwards = server.ReverseForwards,
                    Limits = server.Limits,
                    Reconnect = server.Reconnect,
                    ConnectTimeout = server.ConnectTimeout,
                    RequestTimeout = server.RequestTimeout,
                    UdpIdleTimeout = server.UdpIdleTimeout,
                    Mux = _config.Mux.Create(),
                },
                _loggerFactory);
        }
        catch
        {
            identity.Dispose();
            throw;
        }

        string name = string.Join(",", server.Names);
        var role = Track(new RunningRole("server", name, host, identity));
        await StartOrExplainAsync(role, host.StartAsync, cancellationToken).ConfigureAwait(false);
        foreach (MultiAddress address in host.BoundAddresses)
        {
            WriteLine($"listening: server {name} {address}");
        }

        LogRoleStarted(_logger, role.Role, identity.PublicKey);
    }

    private async Task StartClientAsync(ClientRole client, CancellationToken cancellationToken)
    {
        Ed25519Identity identity = client.Identity.Load();
        var registry = TransportSetup.Create(identity, _config.NetworkKey, authorize: null);
        ClientAgent host;
        try
        {
            host = new ClientAgent(
                new ClientAgentOptions
                {
                    Registry = registry,
                    Upstream = client.Upstream,
                    DefaultServer = client.DefaultServer,
                    Forwards = client.Forwards,
                    Reconnect = client.Reconnect,
                    RequestTimeout = client.RequestTimeout,
                    ConnectTimeout = client.ConnectTimeout,
                    Socks5HandshakeTimeout = client.Socks5HandshakeTimeout,
                    UdpIdleTimeout = client.UdpIdleTimeout,
                    UdpQueueLength = client.UdpQueueLength,
                    MaxUdpFlows = client.MaxUdpFlows,
                    Mux = _config.Mux.Create(),
                },
                _loggerFactory);
        }
        catch
        {
            identity.Dispose();
            throw;
        }

        var role = Track(new RunningRole("client", client.Upstream, host, identity));
        await StartOrExplainAsync(role, host.StartAsync, cancellationToken).ConfigureAwait(false);
        foreach (TunnelForwardStatus forward in host.GetStatus().Forwards)
        {
            if (forward.Spec.Kind != ForwardKind.Remote && forward.BoundEndPoint is { } bound)
            {
                WriteLine($"listening: {ForwardLine(forward.Spec, bound)}");
            }
        }

        LogRoleStarted(_logger, "client", identity.PublicKey);
    }

    private static async Task StartOrExplainAsync(RunningRole role, Func<CancellationToken, Task> start, CancellationToken cancellationToken)
    {
        try
        {
            await start(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ArgumentException or FormatException)
        {
            string what = role.Name is null ? role.Role : $"{role.Role} {role.Name}";
            throw new IOException($"{what}: {Describe(e)}", e);
        }
    }

    /// <summary>The text after <c>listening: </c> for a forward.</summary>
    public static string ForwardLine(ForwardSpec spec, string bound)
    {
        string target = spec.TargetHost is { } host ? $"{Bracket(host)}:{spec.TargetPort.ToString(CultureInfo.InvariantCulture)}" : string.Empty;
        return spec.Kind switch
        {
            ForwardKind.Local => $"-L {bound} -> {spec.Server}:{target}",
            ForwardKind.Udp => $"-U {bound} -> {spec.Server}:{target}",
            ForwardKind.Dynamic => $"-D {bound} -> {spec.Server} (socks5)",
            ForwardKind.Remote => $"-R {bound} (upstream) -> {target}",
            _ => $"{ForwardSpec.Option(spec.Kind)} {bound}",
        };
    }

    private static string Bracket(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    /// <summary>Subscribes to <paramref name="role"/>'s change events (before it starts, so no change is missed) and lists it.</summary>
    private RunningRole Track(RunningRole role)
    {
        role.OnChanged = (_, change) => OnChanged(role, change);
        role.Host.Changed += role.OnChanged;
        _roles.Add(role);
        return role;
    }

    /// <summary>
    /// Prints <c>connected: …</c> when an agent's session comes up (again) and <c>listening: -R …</c> when an
    /// upstream has bound an <c>-R</c> port: pushed by the hosts' <see cref="ITunnelHost.Changed"/> events, not polled.
    /// </summary>
    private void OnChanged(RunningRole role, TunnelEventArgs change)
    {
        switch (change.Kind)
        {
            case TunnelEventKind.SessionUp when change.IsUpstream:
                string who = role.Role == "server" ? $"server {role.Name}" : "client";
                WriteLine($"connected: {who} -> {change.Address} (session {change.Generation.ToString(CultureInfo.InvariantCulture)})");
                break;
            case TunnelEventKind.ForwardBound when role.Role == "client" && change.Forward is { } spec && change.BoundEndPoint is { } bound:
                WriteLine($"listening: {ForwardLine(spec, bound)}");
                break;
        }
    }

    /// <summary>One whole line on standard output; lines from the hosts' threads never interleave.</summary>
    private void WriteLine(string line)
    {
        lock (_outputLock)
        {
            _output.WriteLine(line);
            _output.Flush();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Role} started; its public id is {PublicKey}")]
    private static partial void LogRoleStarted(ILogger logger, string role, Ed25519PublicKey publicKey);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "stopping: closing listeners and sessions")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Role} did not stop cleanly")]
    private static partial void LogStopFailed(ILogger logger, string role, Exception exception);

    /// <summary>A started role and what belongs to it.</summary>
    internal sealed class RunningRole(string role, string? name, ITunnelHost host, Ed25519Identity identity)
    {
        public string Role { get; } = role;

        public string? Name { get; } = name;

        public ITunnelHost Host { get; } = host;

        public Ed25519Identity Identity { get; } = identity;

        public EventHandler<TunnelEventArgs>? OnChanged { get; set; }
    }
}
