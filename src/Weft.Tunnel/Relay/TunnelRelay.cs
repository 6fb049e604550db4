using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Transports;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Relay;

/// <summary>
/// The relay: listens on any number of addresses for agents (server agents register names, client agents
/// open routes), and joins a client's stream to the named server's session after checking its
/// <see cref="TunnelRelayOptions.Acl"/> and limits for every stream. It adds the client's VERIFIED key to the
/// request it passes on, and never forwards for an unauthenticated peer. Dispose to stop.
/// </summary>
public sealed partial class TunnelRelay : ITunnelHost
{
    private readonly TunnelRelayOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a relay (nothing runs until <see cref="StartAsync"/>).</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="loggerFactory">Where logs go; null for none.</param>
    /// <exception cref="ArgumentException">The options are invalid (the message says which and why).</exception>
    /// <exception cref="FormatException">An ACL key or pattern is invalid.</exception>
    public TunnelRelay(TunnelRelayOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weft.Tunnel.Relay");
    }

    /// <summary>The bound listen addresses (real ports) after <see cref="StartAsync"/>: one multiaddress per configured listen entry.</summary>
    public IReadOnlyList<MultiAddress> BoundAddresses { get; private set; } = [];

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public TunnelStatus GetStatus() => throw new NotImplementedException();

    /// <summary>Stops listening, closes every agent session (their streams are reset) and waits for the background work.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
