namespace Weft.Tunnel;

/// <summary>A token bucket (bytes per second, one second of burst) shared by one key's streams; waits are asynchronous.</summary>
internal sealed class TokenBucket
{
    private readonly object _sync = new();
    private readonly TimeProvider _time;
    private readonly double _rate;
    private double _tokens;
    private long _last;

    public TokenBucket(long bytesPerSecond, TimeProvider time)
    {
        _rate = bytesPerSecond;
        _tokens = bytesPerSecond;
        _time = time;
        _last = time.GetTimestamp();
    }

    /// <summary>Takes <paramref name="bytes"/> tokens, waiting until the bucket has refilled enough (debt is allowed, so large chunks pass).</summary>
    public async ValueTask TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_sync)
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(_rate, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _rate));
            _last = now;
            _tokens -= bytes;
            wait = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _rate);
        }

        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
