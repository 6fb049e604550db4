using System.Collections.Concurrent;
using Weft.Tunnel.Routing;

namespace Weft.Tunnel.Access;

/// <summary>Counts open streams per key and in total against <see cref="TunnelLimits"/>; hands out each key's shared bandwidth bucket.</summary>
internal sealed class StreamLimiter(TunnelLimits limits, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Usage> _usage = new(StringComparer.Ordinal);
    private int _total;

    public int Active => Volatile.Read(ref _total);

    /// <summary>Takes a slot for <paramref name="key"/>; on refusal returns the status and message for the user.</summary>
    public bool TryAcquire(string key, string hopName, out Lease lease, out RouteStatus status, out string message)
    {
        KeyLimits keyLimits = limits.For(key);
        Usage usage = _usage.GetOrAdd(key, k => new Usage(keyLimits.BytesPerSecond is { } rate ? new TokenBucket(rate, time) : null));
        if (Interlocked.Increment(ref _total) > limits.MaxTotalStreams)
        {
            Interlocked.Decrement(ref _total);
            lease = default;
            status = RouteStatus.Full;
            message = $"at capacity ({limits.MaxTotalStreams} streams open); try again later";
            return false;
        }

        if (Interlocked.Increment(ref usage.Active) > keyLimits.MaxConcurrentStreams)
        {
            Interlocked.Decrement(ref usage.Active);
            Interlocked.Decrement(ref _total);
            lease = default;
            status = RouteStatus.LimitReached;
            message = $"stream limit reached for key {key} ({keyLimits.MaxConcurrentStreams} concurrent streams)";
            return false;
        }

        lease = new Lease(this, usage);
        status = RouteStatus.Ok;
        message = string.Empty;
        return true;
    }

    internal sealed class Usage(TokenBucket? bucket)
    {
        public int Active;

        public TokenBucket? Bucket { get; } = bucket;
    }

    /// <summary>One stream's slot; dispose once.</summary>
    internal readonly struct Lease(StreamLimiter owner, Usage usage) : IDisposable
    {
        public TokenBucket? Bucket => usage?.Bucket;

        public void Dispose()
        {
            if (owner is null)
            {
                return;
            }

            Interlocked.Decrement(ref usage.Active);
            Interlocked.Decrement(ref owner._total);
        }
    }
}
