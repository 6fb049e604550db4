using Weft.Mux;
using Weft.Transports;
using Weft.Transports.Registry;
using Weft.Tunnel.Access;

namespace Weft.Tunnel.Relay;

/// <summary>Settings of a <see cref="TunnelRelay"/>; validated and copied by its constructor.</summary>
public sealed class TunnelRelayOptions
{
    /// <summary>
    /// The transports and layers, with the relay's identity inside its security layer (for example
    /// <c>registry.AddSecretHandshake(identity, networkKey, authorize)</c>; <see cref="RelayAcl.IsKnownKey"/> is a good
    /// <c>authorize</c>). Required. Connections that no security layer authenticated are closed unused.
    /// </summary>
    public TransportRegistry? Registry { get; init; }

    /// <summary>Where to listen: any number of multiaddresses (each may hold alternatives), e.g. <c>net:0.0.0.0:7000~shs</c>. At least one.</summary>
    public IReadOnlyList<string> Listen { get; init; } = [];

    /// <summary>Who may serve, reach and open ports. Default: empty (nothing allowed).</summary>
    public RelayAcl Acl { get; init; } = new();

    /// <summary>Stream, bandwidth and session limits.</summary>
    public TunnelLimits Limits { get; init; } = new();

    /// <summary>The clock for request timeouts and rate limits. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Mux settings for agent sessions; null for <see cref="MuxOptions"/>' defaults.</summary>
    public MuxOptions? Mux { get; init; }

    /// <summary>Time an agent has to send a whole route request on a new stream, and a server agent to answer one. Default: 15 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Listener settings (layer timeouts, backlog, advertised host names); null for the defaults.</summary>
    public MultiAddressServerOptions? Server { get; init; }

    internal void Validate()
    {
        if (Registry is null)
        {
            throw new ArgumentException("The relay needs a transport registry with a security layer (TunnelRelayOptions.Registry).", nameof(Registry));
        }

        if (Listen.Count == 0)
        {
            throw new ArgumentException("The relay needs at least one listen address (TunnelRelayOptions.Listen), e.g. net:0.0.0.0:7000~shs.", nameof(Listen));
        }

        ArgumentNullException.ThrowIfNull(Acl);
        ArgumentNullException.ThrowIfNull(Limits);
        Limits.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
    }
}
