using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// The "target service" at the far end of a tunnel: a TCP server on loopback whose behaviour each
/// connection picks with its first byte, so one target serves every test and benchmark route:
/// <list type="table">
/// <item><term>'E'</term><description>echo every byte until end of stream, then half-close.</description></item>
/// <item><term>'H'</term><description>u64 BE length L, then L bytes; replies their SHA-256 (32 bytes); waits for end of stream.</description></item>
/// <item><term>'G'</term><description>u64 BE length L and i32 BE seed; sends L pattern bytes (<see cref="PatternBytes"/>), then half-closes.</description></item>
/// <item><term>'D'</term><description>u32 BE milliseconds; reads and discards for that long from the first data byte, replies
/// u64 BE bytes received and u64 BE microseconds elapsed, then drains until end of stream (receiver-side throughput).</description></item>
/// <item><term>'S'</term><description>stalls: reads nothing more and sends nothing, holding the connection until the target is
/// disposed (a target that stopped reading; its sender runs into back-pressure).</description></item>
/// </list>
/// Every connection is counted (<see cref="Accepted"/>, <see cref="Active"/>) so a test can tell that a
/// refused route never reached the target. Disposing closes the listener and every connection.
/// </summary>
public sealed class TcpTarget : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private readonly Task _acceptLoop;
    private long _accepted;
    private long _failures;

    private TcpTarget(IPAddress address)
    {
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, 0));
        _listener.Listen(4096);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Where the target listens.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Connections open right now.</summary>
    public int Active => _connections.Count;

    /// <summary>Connections that ended with an error (reset, bad request) rather than a clean end of stream.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Starts a target on <paramref name="address"/> (default 127.0.0.1), ephemeral port.</summary>
    /// <param name="address">The address to listen on.</param>
    /// <returns>The running target.</returns>
    public static TcpTarget Start(IPAddress? address = null) => new(address ?? IPAddress.Loopback);

    /// <summary>The pattern byte at <paramref name="position"/> for <paramref name="seed"/> (what 'G' sends).</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="position">Absolute position of <c>destination[0]</c>.</param>
    /// <param name="seed">Pattern seed.</param>
    public static void PatternBytes(Span<byte> destination, long position, int seed) => Weft.Testing.Patterns.Fill(destination, position, seed);

    /// <summary>Stops listening and closes every connection.</summary>
    /// <returns>A task that completes when every connection handler has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        foreach (Socket socket in _connections.Keys)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            Interlocked.Increment(ref _accepted);
            socket.NoDelay = true;
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[socket] = HandleAsync(socket, started.Task);
            started.SetResult();
        }
    }

    private async Task HandleAsync(Socket socket, Task started)
    {
        await started.ConfigureAwait(false);
        var buffer = new byte[BufferSize];
        try
        {
            await ReceiveExactlyAsync(socket, buffer.AsMemory(0, 1)).ConfigureAwait(false);
            switch ((char)buffer[0])
            {
                case 'E':
                    await EchoAsync(socket, buffer).ConfigureAwait(false);
                    break;
                case 'H':
                    await HashAsync(socket, buffer).ConfigureAwait(false);
                    break;
                case 'G':
                    await GenerateAsync(socket, buffer).ConfigureAwait(false);
                    break;
                case 'D':
                    await DiscardForAsync(socket, buffer).ConfigureAwait(false);
                    break;
                case 'S':
                    await StallAsync(_stop.Token).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidDataException($"unknown target mode 0x{buffer[0]:x2}");
            }
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _failures);
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    private static async Task EchoAsync(Socket socket, byte[] buffer)
    {
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0)
        {
            await SendAllAsync(socket, buffer.AsMemory(0, n)).ConfigureAwait(false);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task HashAsync(Socket socket, byte[] buffer)
    {
        await ReceiveExactlyAsync(socket, buffer.AsMemory(0, 8)).ConfigureAwait(false);
        long length = BinaryPrimitives.ReadInt64BigEndian(buffer);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long received = 0; received < length;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - received)), SocketFlags.None).ConfigureAwait(false);
            if (n == 0)
            {
                throw new InvalidDataException($"the stream ended after {received} of {length} bytes");
            }

            hash.AppendData(buffer, 0, n);
            received += n;
        }

        await SendAllAsync(socket, hash.GetHashAndReset()).ConfigureAwait(false);
        await DrainAsync(socket, buffer).ConfigureAwait(false);
    }

    private static async Task GenerateAsync(Socket socket, byte[] buffer)
    {
        await ReceiveExactlyAsync(socket, buffer.AsMemory(0, 12)).ConfigureAwait(false);
        long length = BinaryPrimitives.ReadInt64BigEndian(buffer);
        int seed = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(8));
        for (long sent = 0; sent < length;)
        {
            int n = (int)Math.Min(buffer.Length, length - sent);
            PatternBytes(buffer.AsSpan(0, n), sent, seed);
            await SendAllAsync(socket, buffer.AsMemory(0, n)).ConfigureAwait(false);
            sent += n;
        }

        socket.Shutdown(SocketShutdown.Send);
        await DrainAsync(socket, buffer).ConfigureAwait(false);
    }

    private static async Task DiscardForAsync(Socket socket, byte[] buffer)
    {
        await ReceiveExactlyAsync(socket, buffer.AsMemory(0, 4)).ConfigureAwait(false);
        var duration = TimeSpan.FromMilliseconds(BinaryPrimitives.ReadUInt32BigEndian(buffer));
        long received = 0;
        long start = 0;
        TimeSpan elapsed = TimeSpan.Zero;
        while (start == 0 || elapsed < duration)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            if (n == 0)
            {
                throw new InvalidDataException("the sender stopped before the measurement ended");
            }

            if (start == 0)
            {
                start = Stopwatch.GetTimestamp();
                continue; // the clock starts after the first chunk: its bytes do not count
            }

            received += n;
            elapsed = Stopwatch.GetElapsedTime(start);
        }

        var reply = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(reply, received);
        BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(8), (long)elapsed.TotalMicroseconds);
        await SendAllAsync(socket, reply).ConfigureAwait(false);
        await DrainAsync(socket, buffer).ConfigureAwait(false);
    }

    private static async Task StallAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The target is being disposed.
        }
    }

    private static async Task DrainAsync(Socket socket, byte[] buffer)
    {
        while (await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false) > 0)
        {
        }
    }

    internal static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int n = await socket.ReceiveAsync(destination, SocketFlags.None).ConfigureAwait(false);
            if (n == 0)
            {
                throw new InvalidDataException("the stream ended early");
            }

            destination = destination[n..];
        }
    }

    internal static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false)..];
        }
    }
}
