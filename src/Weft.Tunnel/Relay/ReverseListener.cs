using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Weft.Mux;
using Weft.Tunnel.Access;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Relay;

/// <summary>
/// An <c>-R</c> port opened for an agent (on the relay, or on a server agent in direct mode). Every connection
/// to it becomes a stream the host opens on the agent's session, starting with an Accepted notice; the agent
/// connects its local target and answers. The listener lives as long as the agent's Listen stream: when the
/// agent closes it or the session ends, the port closes.
/// </summary>
internal sealed class ReverseListener
{
    private readonly Socket _listener;
    private readonly string _key;
    private readonly MuxSession _session;
    private readonly TimeSpan _requestTimeout;
    private readonly ILogger _logger;
    private readonly RouteHop _hop;
    private readonly StreamLimiter _limiter;
    private readonly TrafficCounter _traffic = new();
    private readonly ForwardSpec _spec;
    private int _active;
    private long _total;
    private long _refused;
    private string? _lastError;

    private ReverseListener(Socket listener, string key, MuxSession session, TimeSpan requestTimeout, ILogger logger, RouteHop hop, StreamLimiter limiter, string host)
    {
        _listener = listener;
        _key = key;
        _session = session;
        _requestTimeout = requestTimeout;
        _logger = logger;
        _hop = hop;
        _limiter = limiter;
        var bound = (IPEndPoint)listener.LocalEndPoint!;
        BoundEndPoint = $"{ForwardSpec.FormatHost(bound.Address.ToString())}:{bound.Port}";
        Port = bound.Port;
        _spec = ForwardSpec.Remote(bound.Port, "agent", 1, host);
    }

    public int Port { get; }

    public string BoundEndPoint { get; }

    public TunnelForwardStatus GetStatus() => new()
    {
        Spec = _spec,
        Owner = _key,
        BoundEndPoint = BoundEndPoint,
        ActiveConnections = Volatile.Read(ref _active),
        TotalConnections = Interlocked.Read(ref _total),
        RefusedConnections = Interlocked.Read(ref _refused),
        BytesToTarget = _traffic.Up,
        BytesFromTarget = _traffic.Down,
        LastError = Volatile.Read(ref _lastError),
    };

    /// <summary>Handles a Listen request on <paramref name="control"/>: checks, binds, answers, serves until the agent lets go.</summary>
    public static async Task ServeAsync(
        MuxStream control,
        ListenRequest request,
        string key,
        MuxSession session,
        Func<string, bool, int, bool> mayListen,
        ConcurrentDictionary<ReverseListener, byte> registry,
        StreamLimiter limiter,
        TimeSpan requestTimeout,
        RouteHop hop,
        ILogger logger,
        BackgroundTasks tasks,
        Action<TunnelEventArgs> raise,
        CancellationToken stop)
    {
        string what = $"-R {ForwardSpec.FormatHost(request.Host)}:{request.Port}";
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(request.Host, out IPAddress? literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(request.Host, stop).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            await RefuseAsync(control, hop, RouteStatus.NameNotResolved, $"cannot resolve bind address '{request.Host}'", what, key, logger).ConfigureAwait(false);
            return;
        }

        if (addresses.Length == 0)
        {
            await RefuseAsync(control, hop, RouteStatus.NameNotResolved, $"cannot resolve bind address '{request.Host}'", what, key, logger).ConfigureAwait(false);
            return;
        }

        IPAddress address = addresses[0];
        if (!mayListen(key, IPAddress.IsLoopback(address), request.Port))
        {
            await RefuseAsync(control, hop, RouteStatus.NotAllowed, $"key {key} may not open port {request.Port} on {request.Host}", what, key, logger).ConfigureAwait(false);
            return;
        }

        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, request.Port));
            socket.Listen(128);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            await RefuseAsync(control, hop, RouteStatus.NotAllowed, $"cannot listen on {ForwardSpec.FormatHost(request.Host)}:{request.Port}: {ex.SocketErrorCode}", what, key, logger).ConfigureAwait(false);
            return;
        }

        var listener = new ReverseListener(socket, key, session, requestTimeout, logger, hop, limiter, address.ToString());
        registry.TryAdd(listener, 0);
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            await RouteIo.WriteAsync(control, RouteReply.Ok(hop, listener.BoundEndPoint), stop).ConfigureAwait(false);
            Log.ReverseListening(logger, key, listener.BoundEndPoint);
            raise(new TunnelEventArgs { Kind = TunnelEventKind.ForwardBound, Address = listener.BoundEndPoint, PeerKey = key, Forward = listener._spec, BoundEndPoint = listener.BoundEndPoint });
            Task accept = listener.AcceptLoopAsync(tasks, lifetime.Token);

            // The agent holds the Listen stream open for as long as it wants the port; its end (or the session's) closes it.
            byte[] sink = new byte[64];
            try
            {
                while (await control.ReadAsync(sink, lifetime.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            catch (Exception)
            {
                // Reset or session end: close the port all the same.
            }

            await lifetime.CancelAsync().ConfigureAwait(false);
            socket.Dispose();
            await accept.ConfigureAwait(false);
        }
        finally
        {
            if (registry.TryRemove(listener, out _))
            {
                raise(new TunnelEventArgs { Kind = TunnelEventKind.ForwardUnbound, Address = listener.BoundEndPoint, PeerKey = key, Forward = listener._spec, BoundEndPoint = listener.BoundEndPoint, Reason = "the agent let the port go or its session ended" });
            }

            socket.Dispose();
            control.Abort();
            await control.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task RefuseAsync(MuxStream control, RouteHop hop, RouteStatus status, string message, string what, string key, ILogger logger)
    {
        Log.Refused(logger, what, key, message);
        await RouteIo.RefuseAsync(control, new RouteReply(status, hop, message)).ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync(BackgroundTasks tasks, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _total);
            tasks.Run(() => ServeConnectionAsync(client, stop));
        }
    }

    private async Task ServeConnectionAsync(Socket client, CancellationToken stop)
    {
        client.NoDelay = true;
        string peer = client.RemoteEndPoint?.ToString() ?? "?";
        if (!_limiter.TryAcquire(_key, _hop == RouteHop.Relay ? "relay" : "server", out StreamLimiter.Lease lease, out _, out string limitMessage))
        {
            Fail(limitMessage);
            SocketReset.Reset(client);
            return;
        }

        using (lease)
        {
            MuxStream stream;
            try
            {
                stream = await _session.OpenStreamAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Fail($"the agent's session is gone ({ex.Message})");
                SocketReset.Reset(client);
                return;
            }

            RouteMessage answer;
            try
            {
                await RouteIo.WriteAsync(stream, new AcceptedNotice(Port, peer), stop).ConfigureAwait(false);
                answer = await RouteIo.ReadAsync(stream, _requestTimeout, TimeProvider.System, stop).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Fail($"the agent did not answer ({ex.Message})");
                stream.Abort();
                await stream.DisposeAsync().ConfigureAwait(false);
                SocketReset.Reset(client);
                return;
            }

            if (answer is not RouteReply { Status: RouteStatus.Ok })
            {
                Fail(answer is RouteReply reply ? TunnelException.Describe(reply.Hop, reply.Message) : "the agent answered with something other than a reply");
                stream.Abort();
                await stream.DisposeAsync().ConfigureAwait(false);
                SocketReset.Reset(client);
                return;
            }

            Interlocked.Increment(ref _active);
            try
            {
                await StreamRelay.RunAsync(TunnelEnd.For(client), TunnelEnd.For(stream), _traffic, lease.Bucket, stop).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }

    private void Fail(string message)
    {
        Interlocked.Increment(ref _refused);
        Volatile.Write(ref _lastError, message);
        Log.ForwardRefused(_logger, "-R", BoundEndPoint, message);
    }

    /// <summary>The port as text, for logs.</summary>
    public override string ToString() => Port.ToString(CultureInfo.InvariantCulture);
}
