using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Agents;

/// <summary>
/// The client agent: keeps one session to its upstream (a relay, or a server agent in direct mode), runs the
/// local side of its forwards (<c>-L</c>, <c>-D</c>, <c>-U</c>; <c>-R</c> ports are opened upstream) and sends a
/// route request for every connection. Its local listeners stay up while the session is replaced; a
/// connection that arrives with no session is reset at once (and the reason logged), never left hanging.
/// Dispose to stop.
/// </summary>
public sealed partial class ClientAgent : ITunnelHost
{
    private readonly ClientAgentOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a client agent (nothing runs until <see cref="StartAsync"/>).</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="loggerFactory">Where logs go; null for none.</param>
    /// <exception cref="ArgumentException">The options are invalid (e.g. a forward without a server and no default).</exception>
    public ClientAgent(ClientAgentOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weft.Tunnel.ClientAgent");
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Waits until a session to the upstream is up (and every <c>-R</c> forward has been requested).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when connected.</returns>
    public Task WaitForSessionAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>
    /// Opens one tunnelled TCP connection from code (what a <c>-L</c> forward does per local connection):
    /// a route to <paramref name="host"/>:<paramref name="port"/> as seen from <paramref name="server"/>.
    /// </summary>
    /// <param name="server">The server name; null for <see cref="ClientAgentOptions.DefaultServer"/>.</param>
    /// <param name="host">The target host.</param>
    /// <param name="port">The target port.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The connected stream; it supports half-close through <c>Weft.Mux.MuxStream.CompleteWrites</c>.</returns>
    /// <exception cref="TunnelException">A hop refused (the message says which and why), or there is no session.</exception>
    public ValueTask<Stream> ConnectAsync(string? server, string host, int port, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public TunnelStatus GetStatus() => throw new NotImplementedException();

    /// <summary>Closes the listeners, the session and every forwarded connection, and waits for the background work.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
