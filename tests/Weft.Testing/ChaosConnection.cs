using System.Net;
using System.Net.Sockets;

namespace Weft.Testing;

/// <summary>
/// One client connection through a <see cref="ChaosProxy"/> and its connection to the target. Every
/// member is thread-safe and takes effect at once.
/// </summary>
public sealed class ChaosConnection
{
    private readonly Socket _client;
    private readonly IPEndPoint _target;
    private readonly TimeSpan _connectTimeout;
    private readonly Action<ChaosConnection> _onClosed;
    private readonly CancellationTokenSource _cts = new();
    private readonly Lock _lock = new();
    private Socket? _server;
    private bool _closed;
    private long _killBudget;
    private ChaosCutMode _killMode;

    internal ChaosConnection(long id, Socket client, IPEndPoint target, ChaosProxyOptions options, Action<ChaosConnection> onClosed)
    {
        Id = id;
        _client = client;
        _target = target;
        _connectTimeout = options.ConnectTimeout;
        _onClosed = onClosed;
        ClientEndPoint = client.RemoteEndPoint as IPEndPoint;
        _killBudget = options.KillAfterBytes;
        _killMode = options.KillMode;
        int seed = unchecked((options.Seed * 7919) + ((int)id * 31));
        ClientToServer = new ChaosLink(this, "client→server", options, seed);
        ServerToClient = new ChaosLink(this, "server→client", options, seed + 1);
        Completion = Task.CompletedTask;
    }

    /// <summary>Sequence number of this connection at its proxy (0, 1, 2, … in accept order).</summary>
    public long Id { get; }

    /// <summary>The client's address as the proxy saw it.</summary>
    public IPEndPoint? ClientEndPoint { get; }

    /// <summary>The direction from the client to the target.</summary>
    public ChaosLink ClientToServer { get; }

    /// <summary>The direction from the target back to the client.</summary>
    public ChaosLink ServerToClient { get; }

    /// <summary>Bytes forwarded in both directions so far.</summary>
    public long BytesForwarded => ClientToServer.BytesForwarded + ServerToClient.BytesForwarded;

    /// <summary>Whether the connection has been closed (cut, killed, failed, or finished in both directions).</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Completes when both sockets are closed and the forwarding loops have ended. Never faults.</summary>
    public Task Completion { get; private set; }

    /// <summary>Drops the connection now, both sides, the way <paramref name="mode"/> says. Idempotent (the first cut wins).</summary>
    /// <param name="mode">Reset (RST) or graceful FIN.</param>
    public void Cut(ChaosCutMode mode = ChaosCutMode.Reset)
    {
        Socket? server;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            server = _server;
        }

        Close(_client, mode);
        if (server is not null)
        {
            Close(server, mode);
        }

        // Never disposed: Cut may race the end of RunAsync, and a source without a timer holds nothing.
        _cts.Cancel();
    }

    /// <summary>
    /// Forwards at most <paramref name="bytes"/> more bytes (both directions together, counted from
    /// now), then cuts the connection with <paramref name="mode"/>. Replaces any earlier limit; -1 removes it.
    /// </summary>
    /// <param name="bytes">Byte budget from now; 0 cuts at the next byte.</param>
    /// <param name="mode">How to cut once the budget is spent.</param>
    public void KillAfter(long bytes, ChaosCutMode mode = ChaosCutMode.Reset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, -1);
        lock (_lock)
        {
            _killMode = mode;
            Interlocked.Exchange(ref _killBudget, bytes);
        }
    }

    /// <summary>Pauses both directions (black hole, nothing closed). See <see cref="ChaosLink.Pause"/>.</summary>
    public void Pause()
    {
        ClientToServer.Pause();
        ServerToClient.Pause();
    }

    /// <summary>Resumes both directions.</summary>
    public void Resume()
    {
        ClientToServer.Resume();
        ServerToClient.Resume();
    }

    /// <summary>Sets delay, jitter and bandwidth cap on both directions.</summary>
    /// <param name="delay">One-way delay per direction, or <see langword="null"/> to leave it.</param>
    /// <param name="jitter">Jitter per direction, or <see langword="null"/> to leave it.</param>
    /// <param name="bytesPerSecond">Cap per direction (0 for none), or <see langword="null"/> to leave it.</param>
    public void Configure(TimeSpan? delay = null, TimeSpan? jitter = null, long? bytesPerSecond = null)
    {
        foreach (ChaosLink link in new[] { ClientToServer, ServerToClient })
        {
            if (delay is { } d)
            {
                link.Delay = d;
            }

            if (jitter is { } j)
            {
                link.Jitter = j;
            }

            if (bytesPerSecond is { } b)
            {
                link.BytesPerSecond = b;
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"#{Id} {ClientEndPoint}: {ClientToServer}; {ServerToClient}{(IsClosed ? " (closed)" : string.Empty)}";

    internal void Start(CancellationToken proxyLifetime) => Completion = RunAsync(proxyLifetime);

    internal void Fail() => Cut(ChaosCutMode.Reset);

    internal void OnEndOfStreamForwarded()
    {
        // Nothing to do: each direction ends on its own; the connection closes when both have.
    }

    internal int ReserveKillBudget(int wanted)
    {
        while (true)
        {
            long budget = Interlocked.Read(ref _killBudget);
            if (budget < 0)
            {
                return wanted;
            }

            int take = (int)Math.Min(budget, wanted);
            if (Interlocked.CompareExchange(ref _killBudget, budget - take, budget) == budget)
            {
                return take;
            }
        }
    }

    internal void OnKillBudgetExhausted()
    {
        ChaosCutMode mode;
        lock (_lock)
        {
            mode = _killMode;
        }

        Cut(mode);
    }

    private static void Close(Socket socket, ChaosCutMode mode)
    {
        try
        {
            if (mode == ChaosCutMode.Reset)
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Dispose();
            }
            else
            {
                // FIN now; the socket is disposed once the loops have stopped using it (RunAsync), because
                // .NET turns a close that cancels pending operations into a reset.
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    private async Task RunAsync(CancellationToken proxyLifetime)
    {
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token, proxyLifetime);
            CancellationToken token = linked.Token;
            var server = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            lock (_lock)
            {
                if (_closed)
                {
                    server.Dispose();
                    return;
                }

                _server = server;
            }

            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                connectTimeout.CancelAfter(_connectTimeout);
                await server.ConnectAsync(_target, connectTimeout.Token);
                server.NoDelay = true;
                _client.NoDelay = true;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                Fail();
                return;
            }

            await Task.WhenAll(
                ClientToServer.ReceiveLoopAsync(_client, token),
                ClientToServer.SendLoopAsync(server, token),
                ServerToClient.ReceiveLoopAsync(server, token),
                ServerToClient.SendLoopAsync(_client, token));

            // Both directions passed their FIN (or the connection was cut): release the sockets.
            Cut(ChaosCutMode.Fin);
        }
        finally
        {
            Cut(ChaosCutMode.Reset);
            Socket? server;
            lock (_lock)
            {
                server = _server;
            }

            _client.Dispose();
            server?.Dispose();
            _onClosed(this);
        }
    }
}
