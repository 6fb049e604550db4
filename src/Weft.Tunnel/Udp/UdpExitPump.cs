using System.Net.Sockets;
using Weft.Mux;

namespace Weft.Tunnel.Udp;

/// <summary>
/// The server agent's side of a UDP flow: datagrams from the stream go to the target through a connected UDP
/// socket, and the target's datagrams come back framed. Ends after the idle timeout without a
/// datagram either way, when the stream ends, or on error (then the stream is reset).
/// </summary>
internal static class UdpExitPump
{
    public static async Task RunAsync(MuxStream stream, Socket socket, TimeSpan idleTimeout, TrafficCounter counter, CancellationToken stop)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        long lastActivity = Environment.TickCount64;
        bool failed = false;

        async Task ToTargetAsync()
        {
            byte[] buffer = new byte[Routing.RouteWire.MaxDatagramSize];
            while (true)
            {
                int length = await DatagramFraming.ReadAsync(stream, buffer, cts.Token).ConfigureAwait(false);
                if (length < 0)
                {
                    return;
                }

                Volatile.Write(ref lastActivity, Environment.TickCount64);
                await socket.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, cts.Token).ConfigureAwait(false);
                counter.AddUp(length);
            }
        }

        async Task FromTargetAsync()
        {
            byte[] buffer = new byte[Routing.RouteWire.MaxDatagramSize];
            byte[] scratch = new byte[Routing.RouteWire.MaxDatagramSize + 2];
            while (true)
            {
                int length;
                try
                {
                    length = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    // ICMP port unreachable from an earlier send: UDP carries on, as a plain socket would.
                    continue;
                }

                Volatile.Write(ref lastActivity, Environment.TickCount64);
                await DatagramFraming.WriteAsync(stream, buffer.AsMemory(0, length), scratch, cts.Token).ConfigureAwait(false);
                counter.AddDown(length);
            }
        }

        async Task WatchdogAsync()
        {
            TimeSpan tick = TimeSpan.FromMilliseconds(Math.Clamp(idleTimeout.TotalMilliseconds / 4, 10, 1000));
            while (Environment.TickCount64 - Volatile.Read(ref lastActivity) < idleTimeout.TotalMilliseconds)
            {
                await Task.Delay(tick, cts.Token).ConfigureAwait(false);
            }
        }

        Task toTarget = ToTargetAsync();
        Task fromTarget = FromTargetAsync();
        Task watchdog = WatchdogAsync();
        Task first = await Task.WhenAny(toTarget, fromTarget, watchdog).ConfigureAwait(false);
        failed = first.IsFaulted && !(first == watchdog);
        await cts.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(toTarget, fromTarget, watchdog).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cancelled loops; the first outcome decides how the stream ends.
        }

        socket.Dispose();
        if (failed)
        {
            stream.Abort();
        }
        else
        {
            // Idle or the client ended the flow: a clean end of the datagram stream.
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
    }
}
