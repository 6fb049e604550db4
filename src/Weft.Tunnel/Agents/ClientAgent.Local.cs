using System.Net.Sockets;
using Weft.Mux;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Socks5;

namespace Weft.Tunnel.Agents;

public sealed partial class ClientAgent
{
    private async Task AcceptLocalAsync(Socket listener, ForwardState forward)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return;
            }

            client.NoDelay = true;
            _tasks.Run(() => forward.Spec.Kind == ForwardKind.Dynamic ? ServeSocksAsync(client, forward) : ServeLocalAsync(client, forward));
        }
    }

    private async Task ServeLocalAsync(Socket client, ForwardState forward)
    {
        MuxStream stream;
        try
        {
            stream = await OpenRouteAsync(forward.Spec.Server!, new TargetRequest(false, forward.Spec.TargetHost!, forward.Spec.TargetPort), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // No session or a refusal: reset at once (never a hang), and say why in the log.
            string reason = ex is TunnelException ? ex.Message : "client: " + ex.Message;
            forward.Refused(reason);
            Log.ForwardRefused(_logger, forward.Option, forward.BoundEndPoint ?? "?", reason);
            SocketReset.Reset(client);
            return;
        }

        await RelayAsync(client, stream, forward).ConfigureAwait(false);
    }

    private async Task ServeSocksAsync(Socket client, ForwardState forward)
    {
        var local = new NetworkStream(client, ownsSocket: false);
        TargetRequest? target;
        string? error;
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            handshake.CancelAfter(_options.Socks5HandshakeTimeout);
            (target, error) = await Socks5Protocol.AcceptAsync(local, handshake.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            (target, error) = (null, ex is OperationCanceledException ? $"no SOCKS5 request within {_options.Socks5HandshakeTimeout.TotalSeconds:0.#} s" : ex.Message);
        }

        if (target is null)
        {
            forward.Refused("client: " + error);
            Log.ForwardRefused(_logger, forward.Option, forward.BoundEndPoint ?? "?", error ?? "?");
            await local.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
            return;
        }

        MuxStream stream;
        try
        {
            stream = await OpenRouteAsync(forward.Spec.Server!, target, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RouteStatus status = ex is TunnelException t ? t.Status : RouteStatus.InternalError;
            string reason = ex is TunnelException ? ex.Message : "client: " + ex.Message;
            forward.Refused(reason);
            Log.ForwardRefused(_logger, forward.Option, forward.BoundEndPoint ?? "?", $"{target.Describe()}: {reason}");
            try
            {
                await Socks5Protocol.SendReplyAsync(local, Socks5Protocol.ForStatus(status), CancellationToken.None).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception)
            {
                // The SOCKS client is gone already.
            }

            await local.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
            return;
        }

        try
        {
            await Socks5Protocol.SendReplyAsync(local, Socks5Protocol.Reply.Succeeded, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            stream.Abort();
            await stream.DisposeAsync().ConfigureAwait(false);
            SocketReset.Reset(client);
            return;
        }

        await local.DisposeAsync().ConfigureAwait(false);
        await RelayAsync(client, stream, forward).ConfigureAwait(false);
    }

    private async Task RelayAsync(Socket client, MuxStream stream, ForwardState forward)
    {
        forward.Opened();
        try
        {
            Exception? error = await StreamRelay.RunAsync(TunnelEnd.For(client), TunnelEnd.For(stream), forward.Traffic, null, _stop.Token).ConfigureAwait(false);
            Log.ForwardEnded(_logger, forward.BoundEndPoint ?? "?", error?.Message ?? "closed");
        }
        finally
        {
            forward.Closed();
        }
    }
}
