using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Weft.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 (ephemeral port) that forwards every connection to a target and misbehaves
/// on request, per connection and per direction, at run time: one-way delay and jitter (order kept),
/// bandwidth caps (token bucket), pause (black hole), cut (reset or FIN), kill after N bytes. Half-close
/// (FIN) passes through; each direction buffers at most
/// <see cref="ChaosProxyOptions.BufferBytesPerDirection"/>, so back-pressure reaches the sender.
/// This machine has no netem: this is how tests get delay, caps and loss-by-cutting.
/// </summary>
/// <example>
/// <code>
/// using var listener = new TcpListener(IPAddress.Loopback, 0);
/// listener.Start();
/// await using var proxy = ChaosProxy.Start((IPEndPoint)listener.LocalEndpoint, new ChaosProxyOptions { Delay = TimeSpan.FromMilliseconds(20) });
/// using var client = new TcpClient();
/// await client.ConnectAsync(proxy.EndPoint, ct);
/// ChaosConnection connection = await proxy.NextConnectionAsync(ct);
/// connection.ServerToClient.BytesPerSecond = 1_000_000;
/// </code>
/// </example>
public sealed class ChaosProxy : IAsyncDisposable
{
    private const int AcceptedQueueCapacity = 1024;

    private readonly Socket _listener;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ConcurrentDictionary<long, ChaosConnection> _connections = new();
    private readonly Channel<ChaosConnection> _accepted;
    private readonly Task _acceptLoop;
    private long _nextId;
    private int _disposed;

    private ChaosProxy(IPEndPoint target, ChaosProxyOptions options)
    {
        Target = target;
        Options = options;
        _accepted = Channel.CreateBounded<ChaosConnection>(new BoundedChannelOptions(AcceptedQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
        });
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(512);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Where clients connect: 127.0.0.1 and the ephemeral port the proxy listens on.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Where each connection is forwarded.</summary>
    public IPEndPoint Target { get; }

    /// <summary>Settings for connections accepted from now on (live: changes apply to later connections).</summary>
    public ChaosProxyOptions Options { get; }

    /// <summary>Connections accepted so far (live or not).</summary>
    public long TotalAccepted => Interlocked.Read(ref _nextId);

    /// <summary>A snapshot of the live connections, in accept order.</summary>
    public IReadOnlyList<ChaosConnection> Connections => [.. _connections.Values.OrderBy(c => c.Id)];

    /// <summary>Starts a proxy to <paramref name="target"/>.</summary>
    /// <param name="target">The endpoint every connection is forwarded to.</param>
    /// <param name="options">Settings for new connections; <see langword="null"/> for a transparent proxy.</param>
    /// <returns>The running proxy; dispose it to stop.</returns>
    public static ChaosProxy Start(IPEndPoint target, ChaosProxyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new ChaosProxy(target, options ?? new ChaosProxyOptions());
    }

    /// <summary>
    /// Returns the next accepted connection not yet returned, waiting for one if needed. Accepted
    /// connections queue up (at most 1,024; older ones are then dropped from this queue, not closed).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The connection.</returns>
    public ValueTask<ChaosConnection> NextConnectionAsync(CancellationToken cancellationToken = default) =>
        _accepted.Reader.ReadAsync(cancellationToken);

    /// <summary>Cuts every live connection.</summary>
    /// <param name="mode">Reset or FIN.</param>
    public void CutAll(ChaosCutMode mode = ChaosCutMode.Reset)
    {
        foreach (ChaosConnection connection in _connections.Values)
        {
            connection.Cut(mode);
        }
    }

    /// <summary>Stops accepting, resets every connection and waits until all are closed. Idempotent.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _lifetime.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        ChaosConnection[] open = [.. _connections.Values];
        foreach (ChaosConnection connection in open)
        {
            connection.Cut(ChaosCutMode.Reset);
        }

        await Task.WhenAll(open.Select(c => c.Completion));
        _accepted.Writer.TryComplete();
        _lifetime.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken token = _lifetime.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || (ex is SocketException && token.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException)
            {
                // A transient accept failure (for example the client gave up): keep serving.
                continue;
            }

            long id = Interlocked.Increment(ref _nextId) - 1;
            ChaosProxyOptions options = Options.Snapshot();
            var connection = new ChaosConnection(id, client, Target, options, c => _connections.TryRemove(c.Id, out _));
            try
            {
                options.ConfigureConnection?.Invoke(connection);
            }
            catch (Exception)
            {
                // A faulty callback costs this connection only.
                connection.Cut(ChaosCutMode.Reset);
            }

            _connections[id] = connection;
            connection.Start(token);
            _accepted.Writer.TryWrite(connection);
        }
    }
}
