using System.Net;

namespace Weft.Tunnel.Access;

/// <summary>
/// A server agent's authorisation: which client keys may reach which targets. Checked for every stream with
/// the client key the relay verified (or, in direct mode, the key this agent verified itself). The default
/// (empty) ACL allows nothing.
/// </summary>
public sealed class ServerAcl
{
    /// <summary>The rules; a target is allowed when any rule allows it.</summary>
    public IReadOnlyList<TargetRule> Targets { get; init; } = [];

    /// <summary>Whether <paramref name="key"/> may reach <paramref name="host"/> (by name) on <paramref name="port"/>.</summary>
    /// <param name="key">The client's verified key.</param>
    /// <param name="host">The host as requested.</param>
    /// <param name="port">The port.</param>
    /// <param name="protocol">TCP or UDP.</param>
    /// <returns>True when a name rule (or <c>*</c>) allows it: then every resolved address may be used.</returns>
    public bool AllowsName(string key, string host, int port, TargetProtocol protocol) =>
        Targets.Any(r => Applies(r, key, port, protocol) && !r.Host.IsAddressPattern && r.Host.MatchesName(host)) ||
        (IPAddress.TryParse(host, out IPAddress? literal) && AllowsAddress(key, literal, port, protocol));

    /// <summary>Whether <paramref name="key"/> may reach the resolved <paramref name="address"/> on <paramref name="port"/>.</summary>
    /// <param name="key">The client's verified key.</param>
    /// <param name="address">The address to connect to.</param>
    /// <param name="port">The port.</param>
    /// <param name="protocol">TCP or UDP.</param>
    /// <returns>True when an address rule (or <c>*</c>) allows it.</returns>
    public bool AllowsAddress(string key, IPAddress address, int port, TargetProtocol protocol) =>
        Targets.Any(r => Applies(r, key, port, protocol) && (r.Host.IsAny || r.Host.IsAddressPattern) && r.Host.MatchesAddress(address));

    /// <summary>Whether some rule could allow <paramref name="key"/> to reach <paramref name="port"/> on some host.</summary>
    /// <param name="key">The key.</param>
    /// <param name="port">The port.</param>
    /// <param name="protocol">TCP or UDP.</param>
    /// <returns>True when an address rule applies (so resolving the name is worth it).</returns>
    internal bool HasAddressRules(string key, int port, TargetProtocol protocol) =>
        Targets.Any(r => Applies(r, key, port, protocol) && r.Host.IsAddressPattern);

    private static bool Applies(TargetRule rule, string key, int port, TargetProtocol protocol) =>
        rule.Clients.Contains(key) && rule.Ports.Contains(port) && (rule.Protocol == TargetProtocol.Any || rule.Protocol == protocol);
}
