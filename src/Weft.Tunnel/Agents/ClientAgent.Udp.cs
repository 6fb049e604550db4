using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Weft.Mux;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Udp;

namespace Weft.Tunnel.Agents;

public sealed partial class ClientAgent
{
    /// <summary>
    /// A <c>-U</c> forward: one local UDP socket; every distinct source address is a flow with its own route
    /// stream (datagram-framed, boundaries kept), a bounded queue (datagrams past it are dropped, as UDP would) and
    /// an idle timeout.
    /// </summary>
    private sealed class UdpForward : IDisposable
    {
        private readonly ClientAgent _agent;
        private readonly ForwardState _forward;
        private readonly Socket _socket;
        private readonly ConcurrentDictionary<EndPoint, Flow> _flows = new();

        private UdpForward(ClientAgent agent, ForwardState forward, Socket socket)
        {
            _agent = agent;
            _forward = forward;
            _socket = socket;
        }

        public static async Task<UdpForward> BindAsync(ClientAgent agent, ForwardState forward, CancellationToken cancellationToken)
        {
            IPAddress address = await ResolveBindAsync(forward.Spec, cancellationToken).ConfigureAwait(false);
            var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            UdpSocketBuffers.Enlarge(socket);
            try
            {
                socket.Bind(new IPEndPoint(address, forward.Spec.BindPort));
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                throw new TunnelException(RouteHop.Client, RouteStatus.NotAllowed, $"-U {forward.Spec}: cannot listen on {ForwardSpec.FormatHost(forward.Spec.BindHost)}:{forward.Spec.BindPort} ({ex.SocketErrorCode})", ex);
            }

            var bound = (IPEndPoint)socket.LocalEndPoint!;
            forward.BoundPort = bound.Port;
            forward.BoundEndPoint = $"{ForwardSpec.FormatHost(bound.Address.ToString())}:{bound.Port}";
            return new UdpForward(agent, forward, socket);
        }

        public void Dispose() => _socket.Dispose();

        public async Task RunAsync(CancellationToken stop)
        {
            byte[] buffer = new byte[RouteWire.MaxDatagramSize];
            EndPoint any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            while (!stop.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stop).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                {
                    continue;
                }
                catch (Exception)
                {
                    return;
                }

                EndPoint source = received.RemoteEndPoint;
                if (!_flows.TryGetValue(source, out Flow? flow))
                {
                    if (_agent._connector?.Current is null)
                    {
                        string reason = _agent._connector?.NoSessionReason ?? "not started";
                        _forward.Refused("client: " + reason);
                        Log.ForwardRefused(_agent._logger, "-U", _forward.BoundEndPoint ?? "?", $"datagram from {source} dropped: {reason}");
                        continue;
                    }

                    if (_flows.Count >= _agent._options.MaxUdpFlows)
                    {
                        _forward.Refused($"client: {_agent._options.MaxUdpFlows} UDP flows open; datagram from {source} dropped");
                        continue;
                    }

                    flow = new Flow(this, source, _agent._options.UdpQueueLength);
                    _flows[source] = flow;
                    Flow started = flow;
                    _agent._tasks.Run(() => started.RunAsync(stop));
                }

                flow.Enqueue(buffer.AsSpan(0, received.ReceivedBytes).ToArray());
            }
        }

        private sealed class Flow(UdpForward owner, EndPoint source, int queueLength)
        {
            private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueLength)
            {
                FullMode = BoundedChannelFullMode.DropWrite,
                SingleReader = true,
                SingleWriter = true,
            });

            private long _lastActivity = Environment.TickCount64;

            public void Enqueue(byte[] datagram) => _queue.Writer.TryWrite(datagram);

            public async Task RunAsync(CancellationToken stop)
            {
                ForwardState forward = owner._forward;
                ClientAgent agent = owner._agent;
                MuxStream stream;
                try
                {
                    stream = await agent.OpenRouteAsync(forward.Spec.Server!, new TargetRequest(true, forward.Spec.TargetHost!, forward.Spec.TargetPort), stop).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    string reason = ex is TunnelException ? ex.Message : "client: " + ex.Message;
                    forward.Refused(reason);
                    Log.ForwardRefused(agent._logger, "-U", forward.BoundEndPoint ?? "?", $"flow from {source}: {reason}");
                    owner._flows.TryRemove(new KeyValuePair<EndPoint, Flow>(source, this));
                    _queue.Writer.TryComplete();
                    return;
                }

                forward.Opened();
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
                Task up = UpAsync(stream, forward, cts.Token);
                Task down = DownAsync(stream, forward, cts.Token);
                Task idle = WatchdogAsync(agent._options.UdpIdleTimeout, cts.Token);
                Task first = await Task.WhenAny(up, down, idle).ConfigureAwait(false);
                bool failed = first.IsFaulted && first != idle;
                owner._flows.TryRemove(new KeyValuePair<EndPoint, Flow>(source, this));
                _queue.Writer.TryComplete();
                await cts.CancelAsync().ConfigureAwait(false);
                try
                {
                    await Task.WhenAll(up, down, idle).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Cancelled loops.
                }

                if (failed)
                {
                    stream.Abort();
                }
                else
                {
                    try
                    {
                        stream.CompleteWrites();
                    }
                    catch (ObjectDisposedException)
                    {
                    }

                    stream.Abort(MuxAbortDirection.Read);
                }

                await stream.DisposeAsync().ConfigureAwait(false);
                forward.Closed();
            }

            private async Task UpAsync(MuxStream stream, ForwardState forward, CancellationToken cancellationToken)
            {
                byte[] scratch = new byte[RouteWire.MaxDatagramSize + 2];
                await foreach (byte[] datagram in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    Volatile.Write(ref _lastActivity, Environment.TickCount64);
                    await DatagramFraming.WriteAsync(stream, datagram, scratch, cancellationToken).ConfigureAwait(false);
                    forward.Traffic.AddUp(datagram.Length);
                }
            }

            private async Task DownAsync(MuxStream stream, ForwardState forward, CancellationToken cancellationToken)
            {
                byte[] buffer = new byte[RouteWire.MaxDatagramSize];
                while (true)
                {
                    int length = await DatagramFraming.ReadAsync(stream, buffer, cancellationToken).ConfigureAwait(false);
                    if (length < 0)
                    {
                        return;
                    }

                    Volatile.Write(ref _lastActivity, Environment.TickCount64);
                    await owner._socket.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, source, cancellationToken).ConfigureAwait(false);
                    forward.Traffic.AddDown(length);
                }
            }

            private async Task WatchdogAsync(TimeSpan idleTimeout, CancellationToken cancellationToken)
            {
                TimeSpan tick = TimeSpan.FromMilliseconds(Math.Clamp(idleTimeout.TotalMilliseconds / 4, 10, 1000));
                while (Environment.TickCount64 - Volatile.Read(ref _lastActivity) < idleTimeout.TotalMilliseconds)
                {
                    await Task.Delay(tick, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
