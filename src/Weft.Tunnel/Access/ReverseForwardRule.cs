namespace Weft.Tunnel.Access;

/// <summary>
/// A relay (or direct-mode server agent) ACL entry: agents with one of <see cref="Clients"/> may open
/// <c>-R</c> ports in <see cref="Ports"/>; on loopback only unless <see cref="AllowNonLoopback"/>.
/// </summary>
/// <param name="Clients">The agent keys (or <c>*</c>).</param>
/// <param name="Ports">The ports they may open.</param>
/// <param name="AllowNonLoopback">Whether they may bind other addresses than loopback (ssh's GatewayPorts).</param>
public sealed record ReverseForwardRule(KeySet Clients, PortRange Ports, bool AllowNonLoopback = false)
{
    /// <summary>Whether the rule admits the listen request.</summary>
    /// <param name="key">The agent's verified key.</param>
    /// <param name="loopback">Whether the bind address is a loopback address.</param>
    /// <param name="port">The port; 0 (the relay picks a free port) is allowed by any rule that matches the key.</param>
    /// <returns>True when allowed.</returns>
    public bool Allows(string key, bool loopback, int port) =>
        Clients.Contains(key) && (loopback || AllowNonLoopback) && (port == 0 || Ports.Contains(port));
}
