using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Mux;
using Weft.Transports;
using Weft.Tunnel.Access;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Agents;

/// <summary>
/// The server agent: dials OUT to each relay (so it needs no open port), registers its names, and connects
/// the targets that clients ask for when its <see cref="ServerAgentOptions.Acl"/> allows them for the client's
/// verified key. Optionally listens itself for client agents (direct mode, like sshd). Broken relay sessions
/// are replaced with backoff and jitter; streams on a broken session are reset. Dispose to stop.
/// </summary>
/// <remarks>
/// Trust: an Incoming request (which names the client's key) is accepted only on sessions this agent dialled
/// to a relay whose key the address pins; on direct-mode sessions the client key is the one this agent
/// verified itself, and Incoming requests are refused.
/// </remarks>
public sealed partial class ServerAgent : ITunnelHost
{
    private readonly ServerAgentOptions _options;
    private readonly ILogger _logger;
    private readonly string[] _names;
    private readonly StreamLimiter _limiter;
    private readonly BackgroundTasks _tasks = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<UpstreamConnector> _relays = [];
    private readonly ConcurrentDictionary<DirectPeer, byte> _directPeers = new();
    private readonly ConcurrentDictionary<ReverseListener, byte> _reverse = new();
    private readonly TrafficCounter _traffic = new();
    private readonly List<MultiAddressServer> _servers = [];
    private readonly HostLifecycle _lifecycle;
    private DateTimeOffset _startedAt;
    private long _totalStreams;
    private long _refusedStreams;
    private int _started;
    private int _disposed;

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
        _names = [.. options.Names];
        _limiter = new StreamLimiter(options.Limits, options.TimeProvider);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weft.Tunnel.ServerAgent");
        _lifecycle = new HostLifecycle(this, _logger);
    }

    /// <inheritdoc/>
    public event EventHandler<TunnelEventArgs>? Changed
    {
        add => _lifecycle.Changed += value;
        remove => _lifecycle.Changed -= value;
    }

    /// <inheritdoc/>
    public Task Completion => _lifecycle.Completion;

    /// <summary>Direct mode: the bound listen addresses after <see cref="StartAsync"/> (empty without direct mode).</summary>
    public IReadOnlyList<MultiAddress> BoundAddresses { get; private set; } = [];

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The server agent is already started.");
        }

        _startedAt = _options.TimeProvider.GetUtcNow();
        _servers.AddRange(await AuthenticatedAccept.StartListenersAsync(_options.Registry!, _options.Listen, _options.Server, address => Log.DirectListening(_logger, address), cancellationToken).ConfigureAwait(false));
        BoundAddresses = [.. _servers.Select(s => s.BoundAddress)];
        foreach (MultiAddressServer server in _servers)
        {
            _tasks.Run(() => AcceptDirectAsync(server));
        }

        var client = new MultiAddressClient(_options.Registry!, _options.Client);
        foreach (string relay in _options.Relays)
        {
            var connector = new UpstreamConnector(relay, client, _options.Mux, _options.Reconnect, _logger, RegisterAsync, OnRelayStream, _options.TimeProvider, _lifecycle.Raise);
            _relays.Add(connector);
            _tasks.Run(() => connector.RunAsync(_stop.Token));
        }
    }

    /// <summary>Waits until this agent is registered with at least one relay.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when a relay session is up.</returns>
    /// <exception cref="InvalidOperationException">The agent has no relays (pure direct mode).</exception>
    public Task WaitForSessionAsync(CancellationToken cancellationToken = default) =>
        _relays.Count == 0
            ? throw new InvalidOperationException("This server agent has no relays to connect to (direct mode only).")
            : Task.WhenAny(_relays.Select(r => r.WaitConnectedAsync(cancellationToken))).Unwrap();

    /// <inheritdoc/>
    public TunnelStatus GetStatus()
    {
        var sessions = new List<TunnelSessionStatus>();
        foreach (UpstreamConnector relay in _relays)
        {
            sessions.Add(relay.GetStatus(_names, relay.Current?.StreamCount ?? 0) with { PeerRole = "relay" });
        }

        foreach (DirectPeer peer in _directPeers.Keys)
        {
            sessions.Add(peer.GetStatus());
        }

        return new TunnelStatus
        {
            Role = "server",
            StartedAt = _startedAt,
            ListenAddresses = [.. BoundAddresses.Select(a => a.ToString())],
            Sessions = sessions,
            Forwards = [.. _reverse.Keys.Select(r => r.GetStatus())],
            ActiveStreams = _limiter.Active,
            TotalStreams = Interlocked.Read(ref _totalStreams),
            RefusedStreams = Interlocked.Read(ref _refusedStreams),
        };
    }

    /// <summary>Closes every session and listener and waits for the background work.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (MultiAddressServer server in _servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        foreach (DirectPeer peer in _directPeers.Keys)
        {
            await peer.Session.DisposeAsync().ConfigureAwait(false);
        }

        await _tasks.WaitAllAsync().ConfigureAwait(false);
        _stop.Dispose();
        _lifecycle.Stopped();
    }

    private async Task RegisterAsync(MuxSession session, CancellationToken cancellationToken)
    {
        MuxStream stream = await session.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await RouteIo.WriteAsync(stream, new RegisterRequest(_names), cancellationToken).ConfigureAwait(false);
            stream.CompleteWrites();
            RouteMessage answer;
            try
            {
                answer = await RouteIo.ReadAsync(stream, _options.RequestTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (RouteProtocolException ex)
            {
                throw new TunnelException(RouteHop.Relay, ex.Status, "no valid answer to the registration: " + ex.Message);
            }

            if (answer is not RouteReply reply)
            {
                throw new TunnelException(RouteHop.Relay, RouteStatus.BadRequest, "answered the registration with something other than a reply");
            }

            if (reply.Status != RouteStatus.Ok)
            {
                throw new TunnelException(reply.Hop, reply.Status, "registration refused: " + reply.Message);
            }
        }
    }

    private void OnRelayStream(MuxSession session, MuxStream stream)
    {
        _tasks.Run(() => ServeStreamAsync(stream, peerKey: null, fromRelay: true));
    }

    private Task AcceptDirectAsync(MultiAddressServer server) =>
        AuthenticatedAccept.RunAsync(server, () => _directPeers.Count, _options.Limits.MaxSessions, _logger, (connection, key) =>
        {
            var peer = new DirectPeer(key, connection.RemoteEndPoint ?? connection.Address.ToString(), MuxSession.CreateServer(connection.Stream, _options.Mux), connection.FindLayerStream<ILegStatisticsSource>());
            _directPeers.TryAdd(peer, 0);
            Log.RelayAgentConnected(_logger, key, connection.RemoteEndPoint);
            _lifecycle.Raise(new TunnelEventArgs { Kind = TunnelEventKind.SessionUp, Address = peer.RemoteEndPoint, PeerKey = key, Generation = 1 });
            _tasks.Run(() => ServeDirectPeerAsync(peer));
        }, _stop.Token);

    private async Task ServeDirectPeerAsync(DirectPeer peer)
    {
        string reason = "stopping";
        try
        {
            while (true)
            {
                MuxStream stream = await peer.Session.AcceptStreamAsync(_stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref peer.TotalStreams);
                _tasks.Run(() => ServeStreamAsync(stream, peer.Key, fromRelay: false, peer));
            }
        }
        catch (Exception ex)
        {
            reason = peer.Session.TerminationException?.Message ?? ex.Message;
            Log.RelayAgentDisconnected(_logger, peer.Key, peer.RemoteEndPoint, reason);
        }
        finally
        {
            _directPeers.TryRemove(peer, out _);
            await peer.Session.DisposeAsync().ConfigureAwait(false);
            _lifecycle.Raise(new TunnelEventArgs { Kind = TunnelEventKind.SessionDown, Address = peer.RemoteEndPoint, PeerKey = peer.Key, Generation = 1, Reason = reason });
        }
    }

    private async Task ServeStreamAsync(MuxStream stream, string? peerKey, bool fromRelay, DirectPeer? direct = null)
    {
        string who = peerKey ?? "relay";
        RouteMessage request;
        try
        {
            request = await RouteIo.ReadAsync(stream, _options.RequestTimeout, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
        }
        catch (RouteProtocolException ex)
        {
            Interlocked.Increment(ref _refusedStreams);
            Log.BadRequest(_logger, who, ex.Message);
            await RouteIo.RefuseAsync(stream, new RouteReply(ex.Status, RouteHop.Server, ex.Message)).ConfigureAwait(false);
            return;
        }
        catch (Exception)
        {
            stream.Abort();
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }

        switch (request)
        {
            case IncomingRequest incoming when fromRelay:
                await ServeTargetAsync(stream, incoming.ClientKey, incoming.Inner).ConfigureAwait(false);
                break;
            case OpenRequest open when !fromRelay:
                if (!_names.Contains(open.Server, StringComparer.Ordinal))
                {
                    await RefuseAsync(stream, who, $"open {open.Server}", RouteStatus.NoSuchServer, $"no server named '{open.Server}' here (this server is {string.Join(", ", _names)})").ConfigureAwait(false);
                    return;
                }

                await ServeTargetAsync(stream, peerKey!, open.Inner).ConfigureAwait(false);
                break;
            case ListenRequest listen when !fromRelay:
                await ReverseListener.ServeAsync(
                    stream, listen, peerKey!, direct!.Session,
                    (key, loopback, port) => _options.ReverseForwards.Any(r => r.Allows(key, loopback, port)),
                    _reverse, _limiter, _options.RequestTimeout, RouteHop.Server, _logger, _tasks, _lifecycle.Raise, _stop.Token).ConfigureAwait(false);
                break;
            default:
                await RefuseAsync(stream, who, request.Type.ToString(), RouteStatus.BadRequest, $"bad request: a {request.Type} request is not accepted {(fromRelay ? "from a relay" : "on a direct session")}").ConfigureAwait(false);
                break;
        }
    }

    private async Task RefuseAsync(MuxStream stream, string key, string what, RouteStatus status, string message)
    {
        Interlocked.Increment(ref _refusedStreams);
        Log.Refused(_logger, what, key, message);
        await RouteIo.RefuseAsync(stream, new RouteReply(status, RouteHop.Server, message)).ConfigureAwait(false);
    }

    /// <summary>A client agent connected directly (direct mode).</summary>
    private sealed class DirectPeer(string key, string remoteEndPoint, MuxSession session, ILegStatisticsSource? legs)
    {
        public long TotalStreams;

        public string Key { get; } = key;

        public string RemoteEndPoint { get; } = remoteEndPoint;

        public MuxSession Session { get; } = session;

        public DateTimeOffset Since { get; } = DateTimeOffset.UtcNow;

        public TunnelSessionStatus GetStatus() => new()
        {
            PeerKey = Key,
            Address = RemoteEndPoint,
            PeerRole = "client",
            State = TunnelSessionState.Connected,
            RoundTripTime = Session.RoundTripTime,
            ActiveStreams = Session.StreamCount,
            TotalStreams = Interlocked.Read(ref TotalStreams),
            BytesSent = Session.BytesSent,
            BytesReceived = Session.BytesReceived,
            Since = Since,
            Generation = 1,
            Legs = legs?.GetLegStatistics() ?? [],
        };
    }
}
