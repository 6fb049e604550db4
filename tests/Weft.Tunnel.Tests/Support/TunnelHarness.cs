using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Security;
using Weft.Security.Layers;
using Weft.Testing;
using Weft.Transports.Registry;
using Weft.Tunnel.Access;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Relay;

namespace Weft.Tunnel.Tests.Support;

/// <summary>
/// Builds the three roles in-process on loopback with real shs identities: a relay, server agents, client
/// agents, each with its own registry and key. Everything started is disposed with the harness.
/// </summary>
public sealed class TunnelHarness : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    public byte[] NetworkKey { get; } = RandomNumberGenerator.GetBytes(32);

    public Ed25519Identity RelayId { get; } = Ed25519Identity.Generate();

    public Ed25519Identity ServerId { get; } = Ed25519Identity.Generate();

    public Ed25519Identity ClientId { get; } = Ed25519Identity.Generate();

    public string ServerKey => ServerId.PublicKey.ToString();

    public string ClientKey => ClientId.PublicKey.ToString();

    public string RelayKey => RelayId.PublicKey.ToString();

    /// <summary>Fast reconnects for tests.</summary>
    public static ReconnectPolicy FastReconnect { get; } = new() { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(500), ResetAfter = TimeSpan.FromSeconds(1) };

    /// <summary>A registry with shs under <paramref name="identity"/> that admits any client key at the handshake.</summary>
    public TransportRegistry Registry(Ed25519Identity identity)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(identity, NetworkKey, SecretHandshake.AllowAnyClient);
        return registry;
    }

    /// <summary>The default relay ACL: the server key owns "office", the client key may reach it.</summary>
    public RelayAcl DefaultRelayAcl() => new()
    {
        ServerNames = [new ServerNameRule("office", KeySet.Of(ServerKey))],
        Clients = [new ServerAccessRule(KeySet.Of(ClientKey), ["office"])],
        ReverseForwards = [new ReverseForwardRule(KeySet.Of(ClientKey), PortRange.Any)],
    };

    /// <summary>The default server ACL: the client key may reach 127.0.0.1 on any port, TCP and UDP.</summary>
    public ServerAcl DefaultServerAcl() => new()
    {
        Targets = [new TargetRule(KeySet.Of(ClientKey), HostPattern.Parse("127.0.0.1"), PortRange.Any)],
    };

    public async Task<TunnelRelay> StartRelayAsync(RelayAcl? acl = null, TunnelLimits? limits = null, string listen = "net:127.0.0.1:0~shs", Ed25519Identity? identity = null, Action<ITunnelHost>? beforeStart = null)
    {
        var relay = new TunnelRelay(new TunnelRelayOptions
        {
            Registry = Registry(identity ?? RelayId),
            Listen = [listen],
            Acl = acl ?? DefaultRelayAcl(),
            Limits = limits ?? new TunnelLimits(),
            RequestTimeout = TimeSpan.FromSeconds(10),
        });
        _owned.Add(relay);
        beforeStart?.Invoke(relay);
        await relay.StartAsync(TestTimeout.Token());
        return relay;
    }

    public async Task<ServerAgent> StartServerAsync(string? relay, ServerAcl? acl = null, string[]? names = null, Ed25519Identity? identity = null, TunnelLimits? limits = null, string[]? listen = null, IReadOnlyList<ReverseForwardRule>? reverse = null, TimeSpan? udpIdle = null)
    {
        var server = new ServerAgent(new ServerAgentOptions
        {
            Registry = Registry(identity ?? ServerId),
            Relays = relay is null ? [] : [relay],
            Names = names ?? ["office"],
            Acl = acl ?? DefaultServerAcl(),
            Limits = limits ?? new TunnelLimits(),
            Listen = listen ?? [],
            ReverseForwards = reverse ?? [],
            Reconnect = FastReconnect,
            UdpIdleTimeout = udpIdle ?? TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        });
        _owned.Add(server);
        await server.StartAsync(TestTimeout.Token());
        return server;
    }

    public async Task<ClientAgent> StartClientAsync(string upstream, ForwardSpec[] forwards, Ed25519Identity? identity = null, string? defaultServer = "office", TimeSpan? udpIdle = null, int udpQueue = 256, Action<ITunnelHost>? beforeStart = null, TimeProvider? time = null, ReconnectPolicy? reconnect = null)
    {
        var client = new ClientAgent(new ClientAgentOptions
        {
            Registry = Registry(identity ?? ClientId),
            Upstream = upstream,
            DefaultServer = defaultServer,
            Forwards = forwards,
            Reconnect = reconnect ?? FastReconnect,
            RequestTimeout = TimeSpan.FromSeconds(10),
            UdpIdleTimeout = udpIdle ?? TimeSpan.FromSeconds(60),
            UdpQueueLength = udpQueue,
            TimeProvider = time ?? TimeProvider.System,
        });
        _owned.Add(client);
        beforeStart?.Invoke(client);
        await client.StartAsync(TestTimeout.Token());
        return client;
    }

    /// <summary>Relay, server agent and client agent with the default ACLs, both agents connected.</summary>
    public async Task<(TunnelRelay Relay, ServerAgent Server, ClientAgent Client)> StartChainAsync(params ForwardSpec[] forwards)
    {
        TunnelRelay relay = await StartRelayAsync();
        string address = relay.BoundAddresses[0].ToString();
        ServerAgent server = await StartServerAsync(address);
        ClientAgent client = await StartClientAsync(address, forwards);
        await server.WaitForSessionAsync(TestTimeout.Token());
        await client.WaitForSessionAsync(TestTimeout.Token());
        return (relay, server, client);
    }

    /// <summary>Registers something to dispose with the harness (disposed first).</summary>
    public T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>Disposes a host early (for restart tests), so the harness does not dispose it again.</summary>
    public async Task StopAsync(IAsyncDisposable host)
    {
        _owned.Remove(host);
        await host.DisposeAsync();
    }

    public static IPEndPoint EndPointOf(ITunnelHost host, int forward = 0)
    {
        string bound = host.GetStatus().Forwards[forward].BoundEndPoint ?? throw new InvalidOperationException("the forward is not bound");
        return IPEndPoint.Parse(bound);
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint, cancellationToken);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        RelayId.Dispose();
        ServerId.Dispose();
        ClientId.Dispose();
    }
}
