using System.Net;
using System.Net.Sockets;

namespace Weft.Tunnel.Tests.Support;

/// <summary>
/// A TCP target on 127.0.0.1: each connection is handled by <see cref="Handler"/> (default: echo until end of
/// stream, then half-close). Counts connections.
/// </summary>
public sealed class TargetServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Task> _handlers = [];
    private int _accepted;

    public TargetServer(Func<Socket, CancellationToken, Task>? handler = null)
    {
        Handler = handler ?? EchoAsync;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1024);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _loop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    public int Accepted => Volatile.Read(ref _accepted);

    public Func<Socket, CancellationToken, Task> Handler { get; set; }

    /// <summary>Echoes until end of stream, then half-closes.</summary>
    public static async Task EchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
        Task[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        try
        {
            await Task.WhenAll(handlers);
        }
        catch (Exception)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            Task handler = Task.Run(async () =>
            {
                using (socket)
                {
                    try
                    {
                        await Handler(socket, _stop.Token);
                    }
                    catch (Exception)
                    {
                    }
                }
            });
            lock (_handlers)
            {
                _handlers.Add(handler);
            }
        }
    }
}
