namespace Weft.Tunnel.Access;

/// <summary>
/// A server agent's ACL entry: clients with one of <see cref="Clients"/> may reach hosts matching
/// <see cref="Host"/> on ports in <see cref="Ports"/> over <see cref="Protocol"/>.
/// </summary>
/// <param name="Clients">The client keys (or <c>*</c>).</param>
/// <param name="Host">The target host pattern.</param>
/// <param name="Ports">The target ports.</param>
/// <param name="Protocol">TCP, UDP or both.</param>
public sealed record TargetRule(KeySet Clients, HostPattern Host, PortRange Ports, TargetProtocol Protocol = TargetProtocol.Any)
{
    /// <summary>Builds a rule from config text.</summary>
    /// <param name="clients">Keys or <c>*</c>.</param>
    /// <param name="host">A <see cref="HostPattern"/>.</param>
    /// <param name="ports">A <see cref="PortRange"/>.</param>
    /// <param name="protocol">TCP, UDP or both.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="FormatException">A field is invalid.</exception>
    public static TargetRule Parse(IEnumerable<string> clients, string host, string ports, TargetProtocol protocol = TargetProtocol.Any) =>
        new(new KeySet(clients, "target rule"), HostPattern.Parse(host), PortRange.Parse(ports), protocol);
}
