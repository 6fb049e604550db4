using Weft.Mux;
using Weft.Transports;
using Weft.Transports.Registry;
using Weft.Tunnel.Access;

namespace Weft.Tunnel.Agents;

/// <summary>Settings of a <see cref="ServerAgent"/>; validated and copied by its constructor.</summary>
public sealed class ServerAgentOptions
{
    /// <summary>
    /// The transports and layers, with this agent's identity inside its security layer (the relays' keys are
    /// pinned in <see cref="Relays"/>, e.g. <c>net:relay.example:7000~shs:RELAYKEY</c>). Required.
    /// </summary>
    public TransportRegistry? Registry { get; init; }

    /// <summary>The relays to dial out to (one session each, kept up for ever); may be empty in pure direct mode.</summary>
    public IReadOnlyList<string> Relays { get; init; } = [];

    /// <summary>The names this agent serves (registered with every relay). At least one.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>Which client keys may reach which targets. Default: empty (nothing allowed).</summary>
    public ServerAcl Acl { get; init; } = new();

    /// <summary>Direct mode: multiaddresses to listen on for client agents (like sshd), e.g. <c>net:0.0.0.0:7001~shs</c>. Default: none.</summary>
    public IReadOnlyList<string> Listen { get; init; } = [];

    /// <summary>Direct mode: who may open <c>-R</c> ports on this agent. Default: nobody.</summary>
    public IReadOnlyList<ReverseForwardRule> ReverseForwards { get; init; } = [];

    /// <summary>Stream and bandwidth limits per client key.</summary>
    public TunnelLimits Limits { get; init; } = new();

    /// <summary>How broken relay sessions are replaced.</summary>
    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    /// <summary>Time allowed to connect a target (including name resolution). Default: 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time a peer has to send a whole route request. Default: 15 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A UDP flow with no datagram either way for this long is closed. Default: 60 s.</summary>
    public TimeSpan UdpIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The clock for reconnect backoff, request timeouts and rate limits (tests pass a manual clock to run
    /// reconnect schedules on fake time). Default: <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Mux settings; null for <see cref="MuxOptions"/>' defaults.</summary>
    public MuxOptions? Mux { get; init; }

    /// <summary>Client settings for dialling relays (attempt timeout, racing alternatives); null for the defaults.</summary>
    public MultiAddressClientOptions? Client { get; init; }

    /// <summary>Listener settings for direct mode; null for the defaults.</summary>
    public MultiAddressServerOptions? Server { get; init; }

    internal void Validate()
    {
        if (Registry is null)
        {
            throw new ArgumentException("The server agent needs a transport registry with a security layer (ServerAgentOptions.Registry).", nameof(Registry));
        }

        if (Names.Count == 0)
        {
            throw new ArgumentException("The server agent needs at least one name to serve (ServerAgentOptions.Names).", nameof(Names));
        }

        foreach (string name in Names)
        {
            ServerName.Validate(name, "server agent name");
        }

        if (Relays.Count == 0 && Listen.Count == 0)
        {
            throw new ArgumentException("The server agent needs a relay to dial (Relays) or an address to listen on for direct mode (Listen).", nameof(Relays));
        }

        foreach (string relay in Relays)
        {
            _ = MultiAddress.Parse(relay);
        }

        ArgumentNullException.ThrowIfNull(Acl);
        ArgumentNullException.ThrowIfNull(Limits);
        Limits.Validate();
        ArgumentNullException.ThrowIfNull(Reconnect);
        Reconnect.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(UdpIdleTimeout, TimeSpan.Zero, nameof(UdpIdleTimeout));
    }
}
