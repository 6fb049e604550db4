namespace Weft.Tunnel.Access;

/// <summary>
/// A set of peer keys in an ACL rule: explicit keys (base64, as <c>shs</c> prints them) or <c>*</c> for any
/// AUTHENTICATED key (unauthenticated peers never reach an ACL: the hosts refuse them first).
/// </summary>
public sealed class KeySet
{
    private readonly HashSet<string> _keys;

    /// <summary>Creates a set from keys or <c>*</c>.</summary>
    /// <param name="keys">Keys (any accepted form) or the single entry <c>*</c>.</param>
    /// <param name="what">Where the keys come from, for error messages.</param>
    /// <exception cref="FormatException">A key is invalid or the list is empty.</exception>
    public KeySet(IEnumerable<string> keys, string what = "ACL rule")
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            if (key.Trim() == "*")
            {
                IsAny = true;
                continue;
            }

            _keys.Add(TunnelKey.Normalize(key, what));
        }

        if (!IsAny && _keys.Count == 0)
        {
            throw new FormatException($"{what}: the key list is empty (list keys, or '*' for any authenticated key).");
        }
    }

    /// <summary>A set matching any authenticated key.</summary>
    public static KeySet Any { get; } = new(["*"]);

    /// <summary>True when the set is <c>*</c>.</summary>
    public bool IsAny { get; }

    /// <summary>The explicit keys (canonical base64).</summary>
    public IReadOnlyCollection<string> Keys => _keys;

    /// <summary>Whether the set holds <paramref name="key"/>.</summary>
    /// <param name="key">A canonical key.</param>
    /// <returns>True when it matches.</returns>
    public bool Contains(string key) => IsAny || _keys.Contains(key);

    /// <summary>Creates a set of one key.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The set.</returns>
    public static KeySet Of(params string[] key) => new(key);

    /// <inheritdoc/>
    public override string ToString() => IsAny ? "*" : string.Join(",", _keys);
}
