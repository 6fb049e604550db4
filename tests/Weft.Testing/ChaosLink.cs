using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Weft.Testing;

/// <summary>
/// One direction of a <see cref="ChaosConnection"/> (client → server or server → client): its live
/// settings and byte counters. Settings may be changed at any time from any thread.
/// </summary>
/// <remarks>
/// The link reads from the sending socket into a bounded queue, stamping each chunk with its due time
/// (arrival + <see cref="Delay"/> ± <see cref="Jitter"/>, never earlier than the previous chunk's, so
/// bytes are never reordered), and a second loop sends each chunk when due, paced by a token bucket
/// when <see cref="BytesPerSecond"/> is set. End of stream (FIN) travels through the same queue and is
/// passed on with <c>Shutdown(Send)</c> after the bytes before it.
/// </remarks>
public sealed class ChaosLink
{
    private const int ChunkSize = 32 * 1024;

    private readonly ChaosConnection _connection;
    private readonly Channel<Chunk> _queue;
    private readonly Random _random;
    private readonly Lock _pauseLock = new();
    private long _delayTicks;
    private long _jitterTicks;
    private long _bytesPerSecond;
    private long _bytesReceived;
    private long _bytesForwarded;
    private TaskCompletionSource? _paused;
    private long _lastDue;
    private double _tokens;
    private long _lastRefill;

    internal ChaosLink(ChaosConnection connection, string name, ChaosProxyOptions options, int seed)
    {
        _connection = connection;
        Name = name;
        _delayTicks = options.Delay.Ticks;
        _jitterTicks = options.Jitter.Ticks;
        _bytesPerSecond = options.BytesPerSecond;
        _random = new Random(seed);
        _queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(Math.Max(2, options.BufferBytesPerDirection / ChunkSize))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>"client→server" or "server→client".</summary>
    public string Name { get; }

    /// <summary>Added one-way delay for bytes that arrive from now on.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _delayTicks));
        set => Volatile.Write(ref _delayTicks, Math.Max(0, value.Ticks));
    }

    /// <summary>Random ± variation of <see cref="Delay"/> for bytes that arrive from now on (order is preserved).</summary>
    public TimeSpan Jitter
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _jitterTicks));
        set => Volatile.Write(ref _jitterTicks, Math.Max(0, value.Ticks));
    }

    /// <summary>Bandwidth cap in bytes per second (token bucket, ~20 ms burst); 0 for none. Takes effect at once.</summary>
    public long BytesPerSecond
    {
        get => Volatile.Read(ref _bytesPerSecond);
        set => Volatile.Write(ref _bytesPerSecond, Math.Max(0, value));
    }

    /// <summary>Bytes read from the sending side so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Bytes passed on to the receiving side so far.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytesForwarded);

    /// <summary>Whether the sender's end of stream (FIN) has been passed on.</summary>
    public bool EndOfStreamForwarded { get; private set; }

    /// <summary>Whether forwarding is paused (see <see cref="Pause"/>).</summary>
    public bool IsPaused
    {
        get
        {
            lock (_pauseLock)
            {
                return _paused is not null;
            }
        }
    }

    /// <summary>
    /// Black hole: stop passing bytes on without closing anything. The proxy keeps reading until its
    /// buffer is full, then the sender blocks. Idempotent.
    /// </summary>
    public void Pause()
    {
        lock (_pauseLock)
        {
            _paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Resumes forwarding after <see cref="Pause"/>; buffered bytes go out first, in order. Idempotent.</summary>
    public void Resume()
    {
        TaskCompletionSource? paused;
        lock (_pauseLock)
        {
            paused = _paused;
            _paused = null;
        }

        paused?.TrySetResult();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {BytesReceived} received, {BytesForwarded} forwarded";

    /// <summary>Reads from <paramref name="source"/> into the queue until end of stream or error.</summary>
    internal async Task ReceiveLoopAsync(Socket source, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                int n;
                try
                {
                    n = await source.ReceiveAsync(buffer.AsMemory(0, ChunkSize), SocketFlags.None, cancellationToken);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    await _queue.Writer.WriteAsync(new Chunk(null, 0, NextDue()), cancellationToken);
                    return;
                }

                Interlocked.Add(ref _bytesReceived, n);
                var chunk = new Chunk(buffer, n, NextDue());
                try
                {
                    await _queue.Writer.WriteAsync(chunk, cancellationToken);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or ChannelClosedException)
        {
            // A reset or close from the sender, or the connection being cut: the whole connection goes.
            _connection.Fail();
        }
    }

    /// <summary>Sends queued chunks to <paramref name="destination"/> when due, until end of stream or error.</summary>
    internal async Task SendLoopAsync(Socket destination, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Chunk chunk = await _queue.Reader.ReadAsync(cancellationToken);
                try
                {
                    await WaitUntilAsync(chunk.Due, cancellationToken);
                    if (chunk.Buffer is null)
                    {
                        await WaitWhilePausedAsync(cancellationToken);
                        destination.Shutdown(SocketShutdown.Send);
                        EndOfStreamForwarded = true;
                        _connection.OnEndOfStreamForwarded();
                        return;
                    }

                    await ForwardAsync(destination, chunk.Buffer.AsMemory(0, chunk.Length), cancellationToken);
                }
                finally
                {
                    if (chunk.Buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(chunk.Buffer);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or ChannelClosedException)
        {
            _connection.Fail();
        }
        finally
        {
            // Return whatever is still queued to the pool; the receive loop has stopped or will fail.
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out Chunk left))
            {
                if (left.Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(left.Buffer);
                }
            }
        }
    }

    private async Task ForwardAsync(Socket destination, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            await WaitWhilePausedAsync(cancellationToken);
            long rate = BytesPerSecond;

            // Small pieces at low rates keep the pacing smooth (about 100 sends per second).
            int piece = rate > 0 ? (int)Math.Clamp(rate / 100, 512, ChunkSize) : data.Length;
            piece = Math.Min(piece, data.Length);
            int allowed = _connection.ReserveKillBudget(piece);
            if (allowed > 0)
            {
                await TakeTokensAsync(allowed, rate, cancellationToken);
                await destination.SendAsync(data[..allowed], SocketFlags.None, cancellationToken);
                Interlocked.Add(ref _bytesForwarded, allowed);
                data = data[allowed..];
            }

            if (allowed < piece)
            {
                _connection.OnKillBudgetExhausted();
                return;
            }
        }
    }

    private async ValueTask TakeTokensAsync(int count, long rate, CancellationToken cancellationToken)
    {
        if (rate <= 0)
        {
            _lastRefill = 0;
            return;
        }

        // Token bucket in "debt" form: spend first, then sleep off any deficit. Refilling from the
        // real elapsed time makes oversleeping self-correcting; the ~20 ms burst cap bounds catch-up.
        long now = Stopwatch.GetTimestamp();
        double burst = Math.Max(count, rate * 0.02);
        if (_lastRefill != 0)
        {
            _tokens = Math.Min(burst, _tokens + (Stopwatch.GetElapsedTime(_lastRefill, now).TotalSeconds * rate));
        }

        _lastRefill = now;
        _tokens -= count;
        if (_tokens < 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(-_tokens / rate), cancellationToken);
        }
    }

    private long NextDue()
    {
        long delay = Volatile.Read(ref _delayTicks);
        long jitter = Volatile.Read(ref _jitterTicks);
        if (jitter > 0)
        {
            delay += (long)((_random.NextDouble() * 2 - 1) * jitter);
        }

        long due = Stopwatch.GetTimestamp() + (long)(Math.Max(0, delay) * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond));
        due = Math.Max(due, _lastDue);
        _lastDue = due;
        return due;
    }

    private async ValueTask WaitUntilAsync(long dueTimestamp, CancellationToken cancellationToken)
    {
        TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), dueTimestamp);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }
    }

    private async ValueTask WaitWhilePausedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? paused;
            lock (_pauseLock)
            {
                paused = _paused?.Task;
            }

            if (paused is null)
            {
                return;
            }

            await paused.WaitAsync(cancellationToken);
        }
    }

    private readonly record struct Chunk(byte[]? Buffer, int Length, long Due);
}
