namespace Weft.Tunnel.Access;

/// <summary>
/// The relay's authorisation: which server agent owns which name, which client reaches which server, who
/// may open <c>-R</c> ports. Checked for every stream, not only at login; the default (empty) ACL allows
/// nothing, so a relay is never an open proxy.
/// </summary>
public sealed class RelayAcl
{
    /// <summary>Who may serve which names.</summary>
    public IReadOnlyList<ServerNameRule> ServerNames { get; init; } = [];

    /// <summary>Which clients may reach which servers.</summary>
    public IReadOnlyList<ServerAccessRule> Clients { get; init; } = [];

    /// <summary>Who may open <c>-R</c> ports on the relay.</summary>
    public IReadOnlyList<ReverseForwardRule> ReverseForwards { get; init; } = [];

    /// <summary>Whether <paramref name="key"/> may register <paramref name="name"/>.</summary>
    /// <param name="key">Verified key.</param>
    /// <param name="name">Server name.</param>
    /// <returns>True when allowed.</returns>
    public bool MayServe(string key, string name) => ServerNames.Any(r => r.Allows(key, name));

    /// <summary>Whether <paramref name="key"/> may open a stream to <paramref name="server"/>.</summary>
    /// <param name="key">Verified key.</param>
    /// <param name="server">Server name.</param>
    /// <returns>True when allowed.</returns>
    public bool MayReach(string key, string server) => Clients.Any(r => r.Allows(key, server));

    /// <summary>Whether <paramref name="key"/> may open an <c>-R</c> port.</summary>
    /// <param name="key">Verified key.</param>
    /// <param name="loopback">Whether the bind address is loopback.</param>
    /// <param name="port">The port (0 = any free one).</param>
    /// <returns>True when allowed.</returns>
    public bool MayListen(string key, bool loopback, int port) => ReverseForwards.Any(r => r.Allows(key, loopback, port));

    /// <summary>
    /// Whether any rule names <paramref name="key"/> (or any rule is <c>*</c>): suitable as the secure layer's
    /// handshake callback, so that strangers are refused before a session even exists.
    /// </summary>
    /// <param name="key">The key (any accepted form).</param>
    /// <returns>True when the key appears somewhere.</returns>
    public bool IsKnownKey(string key)
    {
        if (!TunnelKey.TryNormalize(key, out string? canonical))
        {
            return false;
        }

        return ServerNames.Any(r => r.Owners.Contains(canonical)) ||
            Clients.Any(r => r.Clients.Contains(canonical)) ||
            ReverseForwards.Any(r => r.Clients.Contains(canonical));
    }
}
