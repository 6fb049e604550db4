using System.Net;
using System.Net.Sockets;
using Weft.Mux;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Agents;

public sealed partial class ClientAgent
{
    /// <summary>On every new session: ask for each <c>-R</c> port. A refusal is logged and shown in the status; the session stays.</summary>
    private async Task SetUpSessionAsync(MuxSession session, CancellationToken cancellationToken)
    {
        foreach (ForwardState forward in _forwards.Where(f => f.Spec.Kind == ForwardKind.Remote))
        {
            forward.BoundEndPoint = null;
            MuxStream control = await session.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
            RouteMessage answer;
            try
            {
                await RouteIo.WriteAsync(control, new ListenRequest(forward.Spec.BindHost, forward.Spec.BindPort), cancellationToken).ConfigureAwait(false);
                answer = await RouteIo.ReadAsync(control, _options.RequestTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (RouteProtocolException ex)
            {
                control.Abort();
                await control.DisposeAsync().ConfigureAwait(false);
                forward.Refused("client: " + ex.Message);
                Log.ReverseRefused(_logger, forward.Spec.ToString(), ex.Message);
                continue;
            }

            if (answer is not RouteReply { Status: RouteStatus.Ok } reply)
            {
                control.Abort();
                await control.DisposeAsync().ConfigureAwait(false);
                string reason = answer is RouteReply refusal ? TunnelException.Describe(refusal.Hop, refusal.Message) : "unexpected answer";
                forward.Refused(reason);
                Log.ReverseRefused(_logger, forward.Spec.ToString(), reason);
                continue;
            }

            forward.BoundEndPoint = reply.Message;
            forward.BoundPort = ParsePort(reply.Message);
            Log.ForwardListening(_logger, forward.Option, forward.Spec.ToString(), reply.Message);
            _lifecycle.Raise(new TunnelEventArgs { Kind = TunnelEventKind.ForwardBound, Address = _options.Upstream!, Forward = forward.Spec, BoundEndPoint = reply.Message });

            // The control stream stays open for the session's life: closing it would close the port. It ends with the session.
            _tasks.Run(async () =>
            {
                byte[] sink = new byte[16];
                try
                {
                    while (await control.ReadAsync(sink, _stop.Token).ConfigureAwait(false) > 0)
                    {
                    }
                }
                catch (Exception)
                {
                    // Session gone or stopping.
                }
                finally
                {
                    string? was = forward.BoundEndPoint;
                    forward.BoundEndPoint = null;
                    _lifecycle.Raise(new TunnelEventArgs { Kind = TunnelEventKind.ForwardUnbound, Address = _options.Upstream!, Forward = forward.Spec, BoundEndPoint = was, Reason = "the session to the upstream ended" });
                    control.Abort();
                    await control.DisposeAsync().ConfigureAwait(false);
                }
            });
        }
    }

    private void OnUpstreamStream(MuxSession session, MuxStream stream) => _tasks.Run(() => ServeUpstreamStreamAsync(stream));

    /// <summary>The upstream opened a stream: only an Accepted notice for one of our <c>-R</c> ports is valid.</summary>
    private async Task ServeUpstreamStreamAsync(MuxStream stream)
    {
        RouteMessage request;
        try
        {
            request = await RouteIo.ReadAsync(stream, _options.RequestTimeout, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
        }
        catch (RouteProtocolException ex)
        {
            await RouteIo.RefuseAsync(stream, new RouteReply(ex.Status, RouteHop.Agent, ex.Message)).ConfigureAwait(false);
            return;
        }
        catch (Exception)
        {
            stream.Abort();
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }

        ForwardState? forward = request is AcceptedNotice notice
            ? _forwards.FirstOrDefault(f => f.Spec.Kind == ForwardKind.Remote && f.BoundEndPoint is not null && f.BoundPort == notice.Port)
            : null;
        if (forward is null)
        {
            await RouteIo.RefuseAsync(stream, new RouteReply(RouteStatus.BadRequest, RouteHop.Agent, "bad request: no -R forward for this stream")).ConfigureAwait(false);
            return;
        }

        Socket? socket = null;
        string target = $"{ForwardSpec.FormatHost(forward.Spec.TargetHost!)}:{forward.Spec.TargetPort}";
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(forward.Spec.TargetHost!, forward.Spec.TargetPort, timeout.Token).ConfigureAwait(false);
            socket.NoDelay = true;
        }
        catch (Exception ex)
        {
            socket?.Dispose();
            (RouteStatus status, string message) = ex switch
            {
                SocketException { SocketErrorCode: SocketError.ConnectionRefused } => (RouteStatus.ConnectionRefused, $"connection refused by target {target}"),
                SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } => (RouteStatus.NameNotResolved, $"cannot resolve '{forward.Spec.TargetHost}'"),
                OperationCanceledException => (RouteStatus.TimedOut, $"target {target} did not answer within {_options.ConnectTimeout.TotalSeconds:0.#} s"),
                SocketException s => (RouteStatus.HostUnreachable, $"cannot connect to target {target} ({s.SocketErrorCode})"),
                _ => (RouteStatus.InternalError, ex.Message),
            };
            forward.Refused(TunnelException.Describe(RouteHop.Agent, message));
            Log.ForwardRefused(_logger, forward.Option, forward.BoundEndPoint ?? "?", message);
            await RouteIo.RefuseAsync(stream, new RouteReply(status, RouteHop.Agent, message)).ConfigureAwait(false);
            return;
        }

        try
        {
            await RouteIo.WriteAsync(stream, RouteReply.Ok(RouteHop.Agent), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            SocketReset.Reset(socket);
            stream.Abort();
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }

        forward.Opened();
        try
        {
            await StreamRelay.RunAsync(TunnelEnd.For(stream), TunnelEnd.For(socket), forward.Traffic, null, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            forward.Closed();
        }
    }

    private static int ParsePort(string endPoint) =>
        IPEndPoint.TryParse(endPoint, out IPEndPoint? parsed) ? parsed.Port : 0;
}
