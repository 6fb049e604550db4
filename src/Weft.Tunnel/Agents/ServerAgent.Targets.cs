using System.Net;
using System.Net.Sockets;
using Weft.Mux;
using Weft.Tunnel.Access;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Udp;

namespace Weft.Tunnel.Agents;

public sealed partial class ServerAgent
{
    /// <summary>Checks the key's limits and the ACL, connects the target, answers, then relays (TCP) or pumps datagrams (UDP).</summary>
    private async Task ServeTargetAsync(MuxStream stream, string key, TargetRequest target)
    {
        string what = target.Describe();
        if (!_limiter.TryAcquire(key, "server", out StreamLimiter.Lease lease, out RouteStatus limitStatus, out string limitMessage))
        {
            await RefuseTargetAsync(stream, key, what, limitStatus, limitMessage).ConfigureAwait(false);
            return;
        }

        using (lease)
        {
            Interlocked.Increment(ref _totalStreams);
            TargetProtocol protocol = target.Udp ? TargetProtocol.Udp : TargetProtocol.Tcp;
            bool byName = _options.Acl.AllowsName(key, target.Host, target.Port, protocol);
            if (!byName && !_options.Acl.HasAddressRules(key, target.Port, protocol))
            {
                await RefuseTargetAsync(stream, key, what, RouteStatus.TargetNotAllowed, $"target {what} not allowed for key {key}").ConfigureAwait(false);
                return;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            IPAddress[] addresses;
            try
            {
                addresses = IPAddress.TryParse(target.Host, out IPAddress? literal)
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(target.Host, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException && !_stop.IsCancellationRequested)
            {
                await RefuseTargetAsync(stream, key, what, RouteStatus.NameNotResolved, $"cannot resolve '{target.Host}'").ConfigureAwait(false);
                return;
            }

            if (!byName)
            {
                addresses = [.. addresses.Where(a => _options.Acl.AllowsAddress(key, a, target.Port, protocol))];
                if (addresses.Length == 0)
                {
                    await RefuseTargetAsync(stream, key, what, RouteStatus.TargetNotAllowed, $"target {what} not allowed for key {key}").ConfigureAwait(false);
                    return;
                }
            }

            if (addresses.Length == 0)
            {
                await RefuseTargetAsync(stream, key, what, RouteStatus.NameNotResolved, $"cannot resolve '{target.Host}'").ConfigureAwait(false);
                return;
            }

            Socket? socket = null;
            SocketError lastError = SocketError.HostUnreachable;
            foreach (IPAddress address in addresses)
            {
                var candidate = new Socket(address.AddressFamily, target.Udp ? SocketType.Dgram : SocketType.Stream, target.Udp ? ProtocolType.Udp : ProtocolType.Tcp);
                if (target.Udp)
                {
                    Udp.UdpSocketBuffers.Enlarge(candidate);
                }

                try
                {
                    await candidate.ConnectAsync(new IPEndPoint(address, target.Port), timeout.Token).ConfigureAwait(false);
                    socket = candidate;
                    break;
                }
                catch (SocketException ex)
                {
                    lastError = ex.SocketErrorCode;
                    candidate.Dispose();
                }
                catch (OperationCanceledException)
                {
                    lastError = SocketError.TimedOut;
                    candidate.Dispose();
                    break;
                }
            }

            if (socket is null)
            {
                if (_stop.IsCancellationRequested)
                {
                    stream.Abort();
                    await stream.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                (RouteStatus status, string message) = lastError switch
                {
                    SocketError.ConnectionRefused => (RouteStatus.ConnectionRefused, $"connection refused by target {what}"),
                    SocketError.TimedOut => (RouteStatus.TimedOut, $"target {what} did not answer within {_options.ConnectTimeout.TotalSeconds:0.#} s"),
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.HostDown => (RouteStatus.HostUnreachable, $"target {what} is unreachable ({lastError})"),
                    _ => (RouteStatus.HostUnreachable, $"cannot connect to target {what} ({lastError})"),
                };
                await RefuseTargetAsync(stream, key, what, status, message).ConfigureAwait(false);
                return;
            }

            try
            {
                await RouteIo.WriteAsync(stream, RouteReply.Ok(RouteHop.Server), _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                socket.Dispose();
                stream.Abort();
                await stream.DisposeAsync().ConfigureAwait(false);
                return;
            }

            Log.TargetConnected(_logger, what, key);
            if (target.Udp)
            {
                await UdpExitPump.RunAsync(stream, socket, _options.UdpIdleTimeout, _traffic, _stop.Token).ConfigureAwait(false);
            }
            else
            {
                socket.NoDelay = true;
                await StreamRelay.RunAsync(TunnelEnd.For(stream), TunnelEnd.For(socket), _traffic, lease.Bucket, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task RefuseTargetAsync(MuxStream stream, string key, string what, RouteStatus status, string message)
    {
        Interlocked.Increment(ref _refusedStreams);
        Log.TargetRefused(_logger, what, key, message);
        await RouteIo.RefuseAsync(stream, new RouteReply(status, RouteHop.Server, message)).ConfigureAwait(false);
    }
}
