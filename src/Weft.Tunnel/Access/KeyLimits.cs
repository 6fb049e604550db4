namespace Weft.Tunnel.Access;

/// <summary>Limits for one peer key (or the default for every key).</summary>
public sealed class KeyLimits
{
    /// <summary>The defaults: 256 concurrent streams, no bandwidth limit.</summary>
    public static KeyLimits Default { get; } = new();

    /// <summary>Streams (forwarded connections) a key may have open at once through this host. Default: 256.</summary>
    public int MaxConcurrentStreams { get; init; } = 256;

    /// <summary>
    /// Bytes per second a key may move through this host, each direction counted separately and summed over
    /// all its streams (a token bucket with one second of burst). Null (the default): no limit.
    /// </summary>
    public long? BytesPerSecond { get; init; }

    internal void Validate(string what)
    {
        if (MaxConcurrentStreams < 1)
        {
            throw new ArgumentException($"{what}: the stream limit must be at least 1 (got {MaxConcurrentStreams}).");
        }

        if (BytesPerSecond is < 1024)
        {
            throw new ArgumentException($"{what}: a bandwidth limit must be at least 1024 bytes per second (got {BytesPerSecond}).");
        }
    }
}
