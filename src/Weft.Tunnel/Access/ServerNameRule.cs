namespace Weft.Tunnel.Access;

/// <summary>
/// A relay ACL entry: the server agents with one of <see cref="Owners"/> may register (serve as) the server
/// name <see cref="Name"/> (exact or <c>prefix-*</c>). A name nobody owns cannot be registered.
/// </summary>
/// <param name="Name">The name or pattern.</param>
/// <param name="Owners">The server agents' keys (or <c>*</c>, which lets any authenticated key serve it: avoid on public relays).</param>
public sealed record ServerNameRule(string Name, KeySet Owners)
{
    /// <summary>Whether <paramref name="key"/> may register <paramref name="name"/>.</summary>
    /// <param name="key">The server agent's verified key.</param>
    /// <param name="name">The name it asks for.</param>
    /// <returns>True when allowed.</returns>
    public bool Allows(string key, string name) => Owners.Contains(key) && ServerAccessRule.NameMatches(Name, name);
}
