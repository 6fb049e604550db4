using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Mux;
using Weft.Transports;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Routing;
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
    private readonly BackgroundTasks _tasks = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ForwardState> _forwards;
    private readonly List<Socket> _listeners = [];
    private readonly List<UdpForward> _udp = [];
    private readonly HostLifecycle _lifecycle;
    private UpstreamConnector? _connector;
    private DateTimeOffset _startedAt;
    private int _started;
    private int _disposed;

    /// <summary>Creates a client agent (nothing runs until <see cref="StartAsync"/>).</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="loggerFactory">Where logs go; null for none.</param>
    /// <exception cref="ArgumentException">The options are invalid (e.g. a forward without a server and no default).</exception>
    public ClientAgent(ClientAgentOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _forwards = [.. options.Forwards.Select(f => new ForwardState(f.WithDefaultServer(options.DefaultServer)))];
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weft.Tunnel.ClientAgent");
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

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The client agent is already started.");
        }

        _startedAt = _options.TimeProvider.GetUtcNow();
        try
        {
            foreach (ForwardState forward in _forwards)
            {
                switch (forward.Spec.Kind)
                {
                    case ForwardKind.Local or ForwardKind.Dynamic:
                        Socket listener = await BindTcpAsync(forward, cancellationToken).ConfigureAwait(false);
                        _listeners.Add(listener);
                        _tasks.Run(() => AcceptLocalAsync(listener, forward));
                        break;
                    case ForwardKind.Udp:
                        UdpForward udp = await UdpForward.BindAsync(this, forward, cancellationToken).ConfigureAwait(false);
                        _udp.Add(udp);
                        _tasks.Run(() => udp.RunAsync(_stop.Token));
                        break;
                }
            }
        }
        catch
        {
            foreach (Socket listener in _listeners)
            {
                listener.Dispose();
            }

            foreach (UdpForward udp in _udp)
            {
                udp.Dispose();
            }

            await _stop.CancelAsync().ConfigureAwait(false);
            await _tasks.WaitAllAsync().ConfigureAwait(false);
            throw;
        }

        var client = new MultiAddressClient(_options.Registry!, _options.Client);
        _connector = new UpstreamConnector(_options.Upstream!, client, _options.Mux, _options.Reconnect, _logger, SetUpSessionAsync, OnUpstreamStream, _options.TimeProvider, _lifecycle.Raise);
        UpstreamConnector connector = _connector;
        _tasks.Run(() => connector.RunAsync(_stop.Token));
    }

    /// <summary>Waits until a session to the upstream is up (and every <c>-R</c> forward has been requested).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when connected.</returns>
    /// <exception cref="InvalidOperationException">The agent is not started.</exception>
    public Task WaitForSessionAsync(CancellationToken cancellationToken = default) =>
        (_connector ?? throw new InvalidOperationException("Start the client agent first.")).WaitConnectedAsync(cancellationToken);

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
    public async ValueTask<Stream> ConnectAsync(string? server, string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        server ??= _options.DefaultServer ?? throw new ArgumentException("No server given and no default server set.", nameof(server));
        if (!ForwardSpec.IsHost(host))
        {
            throw new ArgumentException($"'{host}' is not a host name or IP address.", nameof(host));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        return await OpenRouteAsync(server, new TargetRequest(false, host, port), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public TunnelStatus GetStatus()
    {
        UpstreamConnector? connector = _connector;
        return new TunnelStatus
        {
            Role = "client",
            StartedAt = _startedAt,
            ListenAddresses = [.. _forwards.Where(f => f.Spec.Kind != ForwardKind.Remote && f.BoundEndPoint is not null).Select(f => f.BoundEndPoint!)],
            Sessions = connector is null ? [] : [connector.GetStatus([], connector.Current?.StreamCount ?? 0)],
            Forwards = [.. _forwards.Select(f => f.GetStatus())],
            ActiveStreams = _forwards.Sum(f => f.GetStatus().ActiveConnections),
            TotalStreams = _forwards.Sum(f => f.GetStatus().TotalConnections),
            RefusedStreams = _forwards.Sum(f => f.GetStatus().RefusedConnections),
        };
    }

    /// <summary>Closes the listeners, the session and every forwarded connection, and waits for the background work.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }

        foreach (UdpForward udp in _udp)
        {
            udp.Dispose();
        }

        await _tasks.WaitAllAsync().ConfigureAwait(false);
        _stop.Dispose();
        _lifecycle.Stopped();
    }

    /// <summary>Sends a route request on a new stream of the current session and waits for the answer.</summary>
    /// <exception cref="TunnelException">No session, a hop refused, or the session broke.</exception>
    private async Task<MuxStream> OpenRouteAsync(string server, TargetRequest target, CancellationToken cancellationToken)
    {
        UpstreamConnector connector = _connector ?? throw new InvalidOperationException("Start the client agent first.");
        MuxSession session = connector.Current ?? throw new TunnelException(RouteHop.Client, RouteStatus.NoSession, connector.NoSessionReason);
        MuxStream stream;
        try
        {
            stream = await session.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MuxException ex)
        {
            throw new TunnelException(RouteHop.Client, RouteStatus.SessionLost, $"the session to {_options.Upstream} broke ({ex.Message})", ex);
        }

        connector.CountStream();
        try
        {
            await RouteIo.WriteAsync(stream, new OpenRequest(server, target), cancellationToken).ConfigureAwait(false);
            RouteMessage answer = await RouteIo.ReadAsync(stream, _options.RequestTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            if (answer is not RouteReply reply)
            {
                throw new TunnelException(RouteHop.Relay, RouteStatus.BadRequest, "answered with something other than a reply");
            }

            if (reply.Status != RouteStatus.Ok)
            {
                throw reply.ToException();
            }

            return stream;
        }
        catch (Exception ex)
        {
            stream.Abort();
            await stream.DisposeAsync().ConfigureAwait(false);
            throw ex switch
            {
                TunnelException => ex,
                RouteProtocolException { Status: RouteStatus.TimedOut } => new TunnelException(RouteHop.Client, RouteStatus.TimedOut, $"no answer to the route request within {_options.RequestTimeout.TotalSeconds:0.#} s"),
                RouteProtocolException p => new TunnelException(RouteHop.Client, p.Status, "invalid answer: " + p.Message),
                MuxException m => new TunnelException(RouteHop.Client, RouteStatus.SessionLost, $"the session to {_options.Upstream} broke ({m.Message})", m),
                OperationCanceledException => ex,
                _ => new TunnelException(RouteHop.Client, RouteStatus.InternalError, ex.Message, ex),
            };
        }
    }

    private static async Task<Socket> BindTcpAsync(ForwardState forward, CancellationToken cancellationToken)
    {
        IPAddress address = await ResolveBindAsync(forward.Spec, cancellationToken).ConfigureAwait(false);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, forward.Spec.BindPort));
            listener.Listen(512);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new TunnelException(RouteHop.Client, RouteStatus.NotAllowed, $"{forward.Option} {forward.Spec}: cannot listen on {ForwardSpec.FormatHost(forward.Spec.BindHost)}:{forward.Spec.BindPort} ({ex.SocketErrorCode})", ex);
        }

        var bound = (IPEndPoint)listener.LocalEndPoint!;
        forward.BoundPort = bound.Port;
        forward.BoundEndPoint = $"{ForwardSpec.FormatHost(bound.Address.ToString())}:{bound.Port}";
        return listener;
    }

    internal static async Task<IPAddress> ResolveBindAsync(ForwardSpec spec, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(spec.BindHost, out IPAddress? literal))
        {
            return literal;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(spec.BindHost, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new TunnelException(RouteHop.Client, RouteStatus.NameNotResolved, $"{ForwardSpec.Option(spec.Kind)} {spec}: cannot resolve bind address '{spec.BindHost}'", ex);
        }

        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new TunnelException(RouteHop.Client, RouteStatus.NameNotResolved, $"{ForwardSpec.Option(spec.Kind)} {spec}: cannot resolve bind address '{spec.BindHost}'");
    }
}
