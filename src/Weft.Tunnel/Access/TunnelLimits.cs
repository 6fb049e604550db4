namespace Weft.Tunnel.Access;

/// <summary>Stream and bandwidth limits of a relay or server agent.</summary>
public sealed class TunnelLimits
{
    /// <summary>Limits for keys not listed in <see cref="PerKey"/>. Default: <see cref="KeyLimits.Default"/>.</summary>
    public KeyLimits Default { get; init; } = KeyLimits.Default;

    /// <summary>Limits for particular keys (any accepted key form). Default: none.</summary>
    public IReadOnlyDictionary<string, KeyLimits> PerKey { get; init; } = new Dictionary<string, KeyLimits>();

    /// <summary>Forwarded streams this host carries at once, all keys together; past it new streams are refused as "full". Default: 10,000.</summary>
    public int MaxTotalStreams { get; init; } = 10_000;

    /// <summary>Agent sessions a relay (or direct-mode server agent) accepts at once; further connections are closed. Default: 1,000.</summary>
    public int MaxSessions { get; init; } = 1_000;

    /// <summary>The limits for <paramref name="key"/>.</summary>
    /// <param name="key">A canonical key.</param>
    /// <returns>Its limits.</returns>
    public KeyLimits For(string key) => _canonical?.TryGetValue(key, out KeyLimits? limits) == true ? limits : Default;

    private Dictionary<string, KeyLimits>? _canonical;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Default);
        Default.Validate("default limits");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTotalStreams, 1, nameof(MaxTotalStreams));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSessions, 1, nameof(MaxSessions));
        var canonical = new Dictionary<string, KeyLimits>(StringComparer.Ordinal);
        foreach (var (key, limits) in PerKey)
        {
            string normalized = TunnelKey.Normalize(key, "limits");
            limits.Validate($"limits for {normalized}");
            canonical[normalized] = limits;
        }

        _canonical = canonical;
    }
}
