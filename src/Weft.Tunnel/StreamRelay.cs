using System.Buffers;

namespace Weft.Tunnel;

/// <summary>
/// The bidirectional copy between two ends of a forwarded connection (seed 003's io_bridge): each direction
/// copies until end of stream, then half-closes its destination (FIN), so one direction may finish while
/// the other goes on; an error in either direction aborts BOTH ends (RST), so no side mistakes a failure for
/// a clean end; the ends are disposed only after both directions finished, so a graceful close loses no byte.
/// </summary>
internal static class StreamRelay
{
    /// <summary>
    /// Each direction starts with a small buffer and moves to <see cref="BufferSize"/> once a read fills it: a
    /// relay holding thousands of quiet or chatty connections keeps 2 × 8 KiB per connection instead of
    /// 2 × 64 KiB, and a bulk transfer gets the large buffer after its first read.
    /// </summary>
    private const int SmallBufferSize = 8 * 1024;

    private const int BufferSize = 64 * 1024;

    /// <summary>Relays until both directions end; disposes both ends. Never throws (a failure aborts both ends).</summary>
    /// <param name="a">The side that opened the route (client side).</param>
    /// <param name="b">The target side.</param>
    /// <param name="counter">Counts bytes a→b as up and b→a as down; null for none.</param>
    /// <param name="bucket">Bandwidth limit applied to both directions; null for none.</param>
    /// <param name="cancellationToken">Aborts both ends when cancelled (host shutdown).</param>
    /// <returns>Null after a clean end, or the first error.</returns>
    public static async Task<Exception?> RunAsync(TunnelEnd a, TunnelEnd b, TrafficCounter? counter, TokenBucket? bucket, CancellationToken cancellationToken)
    {
        using var state = new State(a, b);
        CancellationTokenRegistration registration = cancellationToken.Register(static s => ((State)s!).Fail(new OperationCanceledException("the host is stopping")), state);
        try
        {
            Task up = CopyAsync(a, b, state, counter is null ? null : counter.AddUp, bucket);
            Task down = CopyAsync(b, a, state, counter is null ? null : counter.AddDown, bucket);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }

        await Quiet(a).ConfigureAwait(false);
        await Quiet(b).ConfigureAwait(false);
        return state.Error;
    }

    private static async Task CopyAsync(TunnelEnd from, TunnelEnd to, State state, Action<int>? count, TokenBucket? bucket)
    {
        await Task.Yield();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SmallBufferSize);
        try
        {
            while (true)
            {
                int n = await from.Stream.ReadAsync(buffer, state.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    await to.CompleteWritesAsync().ConfigureAwait(false);
                    return;
                }

                if (bucket is not null)
                {
                    await bucket.TakeAsync(n, state.Token).ConfigureAwait(false);
                }

                await to.Stream.WriteAsync(buffer.AsMemory(0, n), state.Token).ConfigureAwait(false);
                count?.Invoke(n);
                if (n == buffer.Length && buffer.Length < BufferSize)
                {
                    // A full read: bulk data is flowing; take the large buffer from now on.
                    byte[] small = buffer;
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    ArrayPool<byte>.Shared.Return(small);
                }
            }
        }
        catch (Exception ex)
        {
            state.Fail(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask Quiet(TunnelEnd end)
    {
        try
        {
            await end.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Disposal of an aborted end may complain; the error that matters is already recorded.
        }
    }

    private sealed class State(TunnelEnd a, TunnelEnd b) : IDisposable
    {
        private readonly CancellationTokenSource _abort = new();
        private Exception? _error;

        public CancellationToken Token => _abort.Token;

        public Exception? Error => Volatile.Read(ref _error);

        public void Dispose() => _abort.Dispose();

        public void Fail(Exception error)
        {
            if (Interlocked.CompareExchange(ref _error, error, null) is not null)
            {
                return;
            }

            a.Abort();
            b.Abort();
            try
            {
                _abort.Cancel();
            }
            catch (Exception)
            {
                // Continuations of the token must not break the abort.
            }
        }
    }
}
