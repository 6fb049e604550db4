using Weft.Tunnel.Access;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;

namespace Weft.Cli.Config;

/// <summary>The relay role: listen addresses, ACL and limits.</summary>
internal sealed class RelayRole
{
    public required IdentityRef Identity { get; init; }

    public required IReadOnlyList<string> Listen { get; init; }

    public RelayAcl Acl { get; init; } = new();

    public TunnelLimits Limits { get; init; } = new();

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>The server agent role: names, relays to dial, direct-mode listeners, ACL and limits.</summary>
internal sealed class ServerRole
{
    public required IdentityRef Identity { get; init; }

    public required IReadOnlyList<string> Names { get; init; }

    public IReadOnlyList<string> Relays { get; init; } = [];

    public IReadOnlyList<string> Listen { get; init; } = [];

    public ServerAcl Acl { get; init; } = new();

    public IReadOnlyList<ReverseForwardRule> ReverseForwards { get; init; } = [];

    public TunnelLimits Limits { get; init; } = new();

    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan UdpIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The keys the direct-mode listener admits at the handshake (null: any authenticated key, because a rule says <c>*</c>).</summary>
    public IReadOnlySet<string>? KnownClientKeys()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (KeySet set in Acl.Targets.Select(t => t.Clients).Concat(ReverseForwards.Select(r => r.Clients)))
        {
            if (set.IsAny)
            {
                return null;
            }

            keys.UnionWith(set.Keys);
        }

        return keys;
    }
}

/// <summary>The client agent role: upstream, default server, forwards.</summary>
internal sealed class ClientRole
{
    public required IdentityRef Identity { get; init; }

    public required string Upstream { get; init; }

    public string? DefaultServer { get; init; }

    public IReadOnlyList<ForwardSpec> Forwards { get; init; } = [];

    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Socks5HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan UdpIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int UdpQueueLength { get; init; } = 256;

    public int MaxUdpFlows { get; init; } = 1024;
}
