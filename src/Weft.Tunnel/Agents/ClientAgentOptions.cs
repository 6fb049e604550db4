using Weft.Mux;
using Weft.Transports;
using Weft.Transports.Registry;
using Weft.Tunnel.Access;
using Weft.Tunnel.Forwards;

namespace Weft.Tunnel.Agents;

/// <summary>Settings of a <see cref="ClientAgent"/>; validated and copied by its constructor.</summary>
public sealed class ClientAgentOptions
{
    /// <summary>The transports and layers, with this agent's identity inside its security layer. Required.</summary>
    public TransportRegistry? Registry { get; init; }

    /// <summary>
    /// Where to connect: a relay, or (direct mode) a server agent's listen address, with its key pinned, e.g.
    /// <c>net:relay.example:7000~shs:RELAYKEY</c>. Required. The protocol is the same either way.
    /// </summary>
    public string? Upstream { get; init; }

    /// <summary>The server used by forwards that name none (<c>-L 8080:localhost:80</c>). Default: none.</summary>
    public string? DefaultServer { get; init; }

    /// <summary>The forwards to run.</summary>
    public IReadOnlyList<ForwardSpec> Forwards { get; init; } = [];

    /// <summary>How broken sessions are replaced.</summary>
    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    /// <summary>Time for a route request to be answered through every hop (the target's connect included). Default: 20 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Time a local SOCKS5 client has to finish its greeting and request. Default: 10 s.</summary>
    public TimeSpan Socks5HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A UDP flow (one local source address) with no datagram either way for this long is closed. Default: 60 s.</summary>
    public TimeSpan UdpIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Datagrams queued per UDP flow while its stream is busy; more are dropped (as UDP would). Default: 256.</summary>
    public int UdpQueueLength { get; init; } = 256;

    /// <summary>UDP flows open at once per <c>-U</c> forward; a new source past it is dropped. Default: 1,024.</summary>
    public int MaxUdpFlows { get; init; } = 1024;

    /// <summary>Time allowed to connect an <c>-R</c> forward's local target. Default: 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The clock for reconnect backoff, request timeouts and rate limits (tests pass a manual clock to run
    /// reconnect schedules on fake time). Default: <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Mux settings; null for <see cref="MuxOptions"/>' defaults.</summary>
    public MuxOptions? Mux { get; init; }

    /// <summary>Client settings for dialling (attempt timeout, racing alternatives); null for the defaults.</summary>
    public MultiAddressClientOptions? Client { get; init; }

    internal void Validate()
    {
        if (Registry is null)
        {
            throw new ArgumentException("The client agent needs a transport registry with a security layer (ClientAgentOptions.Registry).", nameof(Registry));
        }

        if (string.IsNullOrWhiteSpace(Upstream))
        {
            throw new ArgumentException("The client agent needs the address of a relay or server agent (ClientAgentOptions.Upstream).", nameof(Upstream));
        }

        _ = MultiAddress.Parse(Upstream);
        if (DefaultServer is not null)
        {
            ServerName.Validate(DefaultServer, "default server");
        }

        foreach (ForwardSpec forward in Forwards)
        {
            if (forward.Kind != ForwardKind.Remote && forward.Server is null && DefaultServer is null)
            {
                throw new ArgumentException(
                    $"{ForwardSpec.Option(forward.Kind)} {forward} names no server and no default server is set: write {ForwardSpec.Option(forward.Kind)} {ForwardSpec.Syntax(forward.Kind)} with a server, or set a default server.",
                    nameof(Forwards));
            }
        }

        ArgumentNullException.ThrowIfNull(Reconnect);
        Reconnect.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Socks5HandshakeTimeout, TimeSpan.Zero, nameof(Socks5HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(UdpIdleTimeout, TimeSpan.Zero, nameof(UdpIdleTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(UdpQueueLength, 1, nameof(UdpQueueLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUdpFlows, 1, nameof(MaxUdpFlows));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
    }
}
