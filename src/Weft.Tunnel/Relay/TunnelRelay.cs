using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Mux;
using Weft.Transports;
using Weft.Tunnel.Access;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Relay;

/// <summary>
/// The relay: listens on any number of addresses for agents (server agents register names, client agents
/// open routes), and joins a client's stream to the named server's session after checking its
/// <see cref="TunnelRelayOptions.Acl"/> and limits for every stream. It adds the client's VERIFIED key to the
/// request it passes on, and never forwards for an unauthenticated peer. Dispose to stop.
/// </summary>
/// <remarks>
/// The relay only ever joins an authenticated client's stream to a registered server's session: there is no
/// request that makes it connect to an arbitrary address, so it cannot be used as an open proxy. When a server
/// key reconnects, its new session takes its names over at once (the old one may not have noticed its death yet).
/// </remarks>
public sealed class TunnelRelay : ITunnelHost
{
    private readonly TunnelRelayOptions _options;
    private readonly ILogger _logger;
    private readonly StreamLimiter _limiter;
    private readonly BackgroundTasks _tasks = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<RelayPeer, byte> _peers = new();
    private readonly ConcurrentDictionary<string, RelayPeer> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ReverseListener, byte> _reverse = new();
    private readonly List<MultiAddressServer> _servers = [];
    private readonly HostLifecycle _lifecycle;
    private DateTimeOffset _startedAt;
    private long _totalStreams;
    private long _refusedStreams;
    private int _started;
    private int _disposed;

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
        _limiter = new StreamLimiter(options.Limits, options.TimeProvider);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weft.Tunnel.Relay");
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

    /// <summary>The bound listen addresses (real ports) after <see cref="StartAsync"/>: one multiaddress per configured listen entry.</summary>
    public IReadOnlyList<MultiAddress> BoundAddresses { get; private set; } = [];

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The relay is already started.");
        }

        _startedAt = _options.TimeProvider.GetUtcNow();
        _servers.AddRange(await AuthenticatedAccept.StartListenersAsync(_options.Registry!, _options.Listen, _options.Server, address => Log.RelayListening(_logger, address), cancellationToken).ConfigureAwait(false));
        BoundAddresses = [.. _servers.Select(s => s.BoundAddress)];
        foreach (MultiAddressServer server in _servers)
        {
            _tasks.Run(() => AcceptAsync(server));
        }
    }

    /// <inheritdoc/>
    public TunnelStatus GetStatus() => new()
    {
        Role = "relay",
        StartedAt = _startedAt,
        ListenAddresses = [.. BoundAddresses.Select(a => a.ToString())],
        Sessions = [.. _peers.Keys.OrderBy(p => p.Since).Select(p => p.GetStatus())],
        Forwards = [.. _reverse.Keys.Select(r => r.GetStatus())],
        ActiveStreams = _limiter.Active,
        TotalStreams = Interlocked.Read(ref _totalStreams),
        RefusedStreams = Interlocked.Read(ref _refusedStreams),
    };

    /// <summary>Stops listening, closes every agent session (their streams are reset) and waits for the background work.</summary>
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

        foreach (RelayPeer peer in _peers.Keys)
        {
            await peer.Session.DisposeAsync().ConfigureAwait(false);
        }

        await _tasks.WaitAllAsync().ConfigureAwait(false);
        _stop.Dispose();
        _lifecycle.Stopped();
    }

    private Task AcceptAsync(MultiAddressServer server) =>
        AuthenticatedAccept.RunAsync(server, () => _peers.Count, _options.Limits.MaxSessions, _logger, (connection, key) =>
        {
            var peer = new RelayPeer(key, connection.RemoteEndPoint ?? connection.Address.ToString(), MuxSession.CreateServer(connection.Stream, _options.Mux), connection.FindLayerStream<ILegStatisticsSource>());
            _peers.TryAdd(peer, 0);
            Log.RelayAgentConnected(_logger, key, peer.RemoteEndPoint);
            _lifecycle.Raise(new TunnelEventArgs { Kind = TunnelEventKind.SessionUp, Address = peer.RemoteEndPoint, PeerKey = key, Generation = 1 });
            _tasks.Run(() => ServePeerAsync(peer));
        }, _stop.Token);

    private async Task ServePeerAsync(RelayPeer peer)
    {
        string reason = "stopping";
        try
        {
            while (true)
            {
                MuxStream stream = await peer.Session.AcceptStreamAsync(_stop.Token).ConfigureAwait(false);
                _tasks.Run(() => ServeStreamAsync(peer, stream));
            }
        }
        catch (Exception ex)
        {
            reason = peer.Session.TerminationException?.Message ?? ex.Message;
            Log.RelayAgentDisconnected(_logger, peer.Key, peer.RemoteEndPoint, reason);
        }
        finally
        {
            foreach (string name in peer.Names)
            {
                _names.TryRemove(new KeyValuePair<string, RelayPeer>(name, peer));
            }

            _peers.TryRemove(peer, out _);
            await peer.Session.DisposeAsync().ConfigureAwait(false);
            _lifecycle.Raise(new TunnelEventArgs { Kind = TunnelEventKind.SessionDown, Address = peer.RemoteEndPoint, PeerKey = peer.Key, Generation = 1, Reason = reason });
        }
    }

    private async Task ServeStreamAsync(RelayPeer peer, MuxStream stream)
    {
        RouteMessage request;
        try
        {
            request = await RouteIo.ReadAsync(stream, _options.RequestTimeout, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
        }
        catch (RouteProtocolException ex)
        {
            Interlocked.Increment(ref _refusedStreams);
            Log.BadRequest(_logger, peer.Key, ex.Message);
            await RouteIo.RefuseAsync(stream, new RouteReply(ex.Status, RouteHop.Relay, ex.Message)).ConfigureAwait(false);
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
            case OpenRequest open:
                await ServeOpenAsync(peer, stream, open).ConfigureAwait(false);
                break;
            case RegisterRequest register:
                await ServeRegisterAsync(peer, stream, register).ConfigureAwait(false);
                break;
            case ListenRequest listen:
                await ReverseListener.ServeAsync(
                    stream, listen, peer.Key, peer.Session, _options.Acl.MayListen, _reverse, _limiter,
                    _options.RequestTimeout, RouteHop.Relay, _logger, _tasks, _lifecycle.Raise, _stop.Token).ConfigureAwait(false);
                break;
            default:
                await RefuseAsync(stream, peer.Key, request.Type.ToString(), RouteStatus.BadRequest, $"bad request: agents may not send {request.Type} requests to a relay").ConfigureAwait(false);
                break;
        }
    }

    private async Task ServeRegisterAsync(RelayPeer peer, MuxStream stream, RegisterRequest register)
    {
        foreach (string name in register.Names)
        {
            if (!_options.Acl.MayServe(peer.Key, name))
            {
                await RefuseAsync(stream, peer.Key, "register " + name, RouteStatus.NotAllowed, $"key {peer.Key} may not serve '{name}'").ConfigureAwait(false);
                return;
            }
        }

        foreach (string name in register.Names)
        {
            peer.Names.Add(name);
            RelayPeer? previous = null;
            _names.AddOrUpdate(name, peer, (_, old) =>
            {
                previous = old;
                return peer;
            });
            if (previous is not null && previous != peer)
            {
                Log.RelayNameReplaced(_logger, name, peer.Key);
            }
        }

        Log.RelayRegistered(_logger, peer.Key, string.Join(", ", register.Names));
        await RouteIo.RefuseAsync(stream, RouteReply.Ok(RouteHop.Relay)).ConfigureAwait(false);
    }

    private async Task ServeOpenAsync(RelayPeer client, MuxStream stream, OpenRequest open)
    {
        string what = $"open {open.Server} {open.Inner.Describe()}";

        // The ACL comes first, so a stranger cannot even learn which names are online.
        if (!_options.Acl.MayReach(client.Key, open.Server))
        {
            await RefuseAsync(stream, client.Key, what, RouteStatus.NotAllowed, $"key {client.Key} is not allowed to reach server '{open.Server}'").ConfigureAwait(false);
            return;
        }

        if (!_names.TryGetValue(open.Server, out RelayPeer? server))
        {
            await RefuseAsync(stream, client.Key, what, RouteStatus.NoSuchServer, $"no server named '{open.Server}'").ConfigureAwait(false);
            return;
        }

        if (!_limiter.TryAcquire(client.Key, "relay", out StreamLimiter.Lease lease, out RouteStatus limitStatus, out string limitMessage))
        {
            await RefuseAsync(stream, client.Key, what, limitStatus, limitMessage).ConfigureAwait(false);
            return;
        }

        using (lease)
        {
            Interlocked.Increment(ref _totalStreams);
            Interlocked.Increment(ref client.TotalStreams);
            MuxStream onward;
            try
            {
                onward = await server.Session.OpenStreamAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await RefuseAsync(stream, client.Key, what, RouteStatus.NoSuchServer, $"server '{open.Server}' went away").ConfigureAwait(false);
                return;
            }

            Interlocked.Increment(ref server.TotalStreams);
            RouteMessage answer;
            try
            {
                // PTTH's layering: the relay vouches for the client's key and passes the inner request on unchanged.
                await RouteIo.WriteAsync(onward, new IncomingRequest(client.Key, open.Inner), _stop.Token).ConfigureAwait(false);
                answer = await RouteIo.ReadAsync(onward, _options.RequestTimeout, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
            }
            catch (RouteProtocolException ex) when (ex.Status == RouteStatus.TimedOut)
            {
                onward.Abort();
                await onward.DisposeAsync().ConfigureAwait(false);
                await RefuseAsync(stream, client.Key, what, RouteStatus.TimedOut, $"server '{open.Server}' did not answer within {_options.RequestTimeout.TotalSeconds:0.#} s").ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                onward.Abort();
                await onward.DisposeAsync().ConfigureAwait(false);
                await RefuseAsync(stream, client.Key, what, RouteStatus.InternalError, $"server '{open.Server}' failed to answer ({ex.Message})").ConfigureAwait(false);
                return;
            }

            if (answer is not RouteReply reply || reply.Status != RouteStatus.Ok)
            {
                onward.Abort();
                await onward.DisposeAsync().ConfigureAwait(false);
                Interlocked.Increment(ref _refusedStreams);
                RouteReply passOn = answer as RouteReply ?? new RouteReply(RouteStatus.InternalError, RouteHop.Relay, $"server '{open.Server}' answered with something other than a reply");
                await RouteIo.RefuseAsync(stream, passOn).ConfigureAwait(false);
                return;
            }

            try
            {
                await RouteIo.WriteAsync(stream, reply, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                onward.Abort();
                stream.Abort();
                await onward.DisposeAsync().ConfigureAwait(false);
                await stream.DisposeAsync().ConfigureAwait(false);
                return;
            }

            Log.RelayRouteOpened(_logger, client.Key, open.Server, open.Inner.Describe());
            await StreamRelay.RunAsync(TunnelEnd.For(stream), TunnelEnd.For(onward), null, lease.Bucket, _stop.Token).ConfigureAwait(false);
        }
    }

    private async Task RefuseAsync(MuxStream stream, string key, string what, RouteStatus status, string message)
    {
        Interlocked.Increment(ref _refusedStreams);
        Log.Refused(_logger, what, key, message);
        await RouteIo.RefuseAsync(stream, new RouteReply(status, RouteHop.Relay, message)).ConfigureAwait(false);
    }

    /// <summary>An agent connected to the relay.</summary>
    private sealed class RelayPeer(string key, string remoteEndPoint, MuxSession session, ILegStatisticsSource? legs)
    {
        public long TotalStreams;

        public string Key { get; } = key;

        public string RemoteEndPoint { get; } = remoteEndPoint;

        public MuxSession Session { get; } = session;

        public ConcurrentBag<string> Names { get; } = [];

        public DateTimeOffset Since { get; init; } = DateTimeOffset.UtcNow;

        public TunnelSessionStatus GetStatus() => new()
        {
            PeerKey = Key,
            Address = RemoteEndPoint,
            PeerRole = Names.IsEmpty ? "client" : "server",
            Names = [.. Names.Distinct()],
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
