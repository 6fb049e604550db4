using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Transports;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Agents;

/// <summary>
/// The server agent: dials OUT to each relay (so it needs no open port), registers its names, and connects
/// the targets that clients ask for when its <see cref="ServerAgentOptions.Acl"/> allows them for the client's
/// verified key. Optionally listens itself for client agents (direct mode, like sshd). Broken relay sessions
/// are replaced with backoff and jitter; streams on a broken session are reset. Dispose to stop.
/// </summary>
public sealed partial class ServerAgent : ITunnelHost
{
    private readonly ServerAgentOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a server agent (nothing runs until <see cref="StartAsync"/>).</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="loggerFactory">Where logs go; null for none.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="FormatException">A relay address, name or ACL entry is invalid.</exception>
    public ServerAgent(ServerAgentOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weft.Tunnel.ServerAgent");
    }

    /// <summary>Direct mode: the bound listen addresses after <see cref="StartAsync"/> (empty without direct mode).</summary>
    public IReadOnlyList<MultiAddress> BoundAddresses { get; private set; } = [];

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Waits until this agent is registered with at least one relay.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when a relay session is up.</returns>
    public Task WaitForSessionAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public TunnelStatus GetStatus() => throw new NotImplementedException();

    /// <summary>Closes every session and listener and waits for the background work.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
