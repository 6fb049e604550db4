namespace Weft.Tunnel.Access;

/// <summary>
/// A relay ACL entry: clients with one of <see cref="Clients"/> may open streams to the servers named by
/// <see cref="Servers"/> (exact names, <c>prefix-*</c> or <c>*</c>).
/// </summary>
/// <param name="Clients">The client keys (or <c>*</c>).</param>
/// <param name="Servers">Server names or patterns.</param>
public sealed record ServerAccessRule(KeySet Clients, IReadOnlyList<string> Servers)
{
    /// <summary>Whether the rule admits <paramref name="key"/> to <paramref name="server"/>.</summary>
    /// <param name="key">The client's verified key.</param>
    /// <param name="server">The server name asked for.</param>
    /// <returns>True when allowed.</returns>
    public bool Allows(string key, string server) =>
        Clients.Contains(key) && Servers.Any(pattern => NameMatches(pattern, server));

    internal static bool NameMatches(string pattern, string name) =>
        pattern == "*" || pattern == name ||
        (pattern.EndsWith('*') && name.StartsWith(pattern[..^1], StringComparison.Ordinal));
}
