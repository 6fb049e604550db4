using System.Net;
using Weft.Testing;
using Weft.Transports.Net;
using Weft.Transports.Registry;
using Weft.Transports.Unix;
using Weft.Transports.WebSockets;

namespace Weft.Transports.Tests;

public sealed class MultiAddressServerTests
{
    [Fact]
    public async Task Server_NetWsUnixAtOnce_ClientConnectsOverEach()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        string path = TestNet.UnixPath();
        var listen = MultiAddress.Parse($"net:127.0.0.1:0;ws://127.0.0.1:0/weft;unix:{path}~noauth");
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(registry, listen, cancellationToken: ct);
        Task<List<string>> serve = ServeEchoAsync(server, 3, ct);
        var client = new MultiAddressClient(registry);

        var seen = new List<string>();
        foreach (Address alternative in server.BoundAddress.Alternatives)
        {
            await using TransportConnection connection = await client.ConnectAsync(new MultiAddress(alternative), ct);
            byte[] payload = TestNet.Payload(50_000, seed: seen.Count);
            Assert.Equal(payload, await TestNet.RoundTripAsync(connection, payload, ct));
            seen.Add(connection.Address.Transport.Name);
        }

        Assert.Equal(["net", "ws", "unix"], seen);
        Assert.Equal(["net", "ws", "unix"], await serve.WaitAsync(ct));
    }

    [Fact]
    public async Task Server_WildcardBinds_PrintsAddressPerScope()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        string path = TestNet.UnixPath();
        var options = new MultiAddressServerOptions { Advertise = new AdvertiseOptions { PublicHosts = ["weft.example.org", "198.51.100.7"] } };
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(
            registry, MultiAddress.Parse($"net:0.0.0.0:0;ws://0.0.0.0:0/mux;unix:{path}~noauth;net:127.0.0.1:0"), options, ct);
        int netPort = Port(server, 0);
        int wsPort = Port(server, 1);
        int loopbackPort = Port(server, 3);

        string device = server.GetAddress(AddressScope.Device)!.ToString();
        MultiAddress local = server.GetAddress(AddressScope.Local)!;
        string @public = server.GetAddress(AddressScope.Public)!.ToString();

        Assert.Equal($"net:127.0.0.1:{netPort};ws://127.0.0.1:{wsPort}/mux;unix:{path}~noauth;net:127.0.0.1:{loopbackPort}", device);
        Assert.Equal(2, local.Alternatives.Count);
        IPAddress lan = IPAddress.Parse(NetEndpoint.FromPart(local.Alternatives[0].Transport, allowPortZero: false).Host);
        Assert.False(IPAddress.IsLoopback(lan));
        Assert.Equal($"net:{lan}:{netPort};ws://{lan}:{wsPort}/mux", local.ToString());
        Assert.Equal($"net:weft.example.org:{netPort};net:198.51.100.7:{netPort};ws://weft.example.org:{wsPort}/mux;ws://198.51.100.7:{wsPort}/mux", @public);
    }

    [Fact]
    public async Task Server_LoopbackOnlyNoPublicHosts_NothingOutsideDeviceScope()
    {
        CancellationToken ct = TestTimeout.Token();
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(TransportRegistry.CreateDefault(), MultiAddress.Parse("net:127.0.0.1:0"), cancellationToken: ct);

        Assert.NotNull(server.GetAddress(AddressScope.Device));
        Assert.Null(server.GetAddress(AddressScope.Local));
        Assert.Null(server.GetAddress(AddressScope.Public));
    }

    [Fact]
    public async Task Server_LocalHostOverride_PrintedForLocalScope()
    {
        CancellationToken ct = TestTimeout.Token();
        var options = new MultiAddressServerOptions { Advertise = new AdvertiseOptions { LocalHost = "printer.lan" } };
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(TransportRegistry.CreateDefault(), MultiAddress.Parse("net:0.0.0.0:0;ws://0.0.0.0:80"), options, ct);

        Assert.Equal($"net:printer.lan:{Port(server, 0)};ws://printer.lan", server.GetAddress(AddressScope.Local)!.ToString());
    }

    [Fact]
    public async Task Server_NoAuthOnWildcardNet_AdvertisedOnlyInDeviceScope()
    {
        CancellationToken ct = TestTimeout.Token();
        var options = new MultiAddressServerOptions { Advertise = new AdvertiseOptions { LocalHost = "printer.lan", PublicHosts = ["weft.example.org"] } };
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(
            TransportRegistry.CreateDefault(), MultiAddress.Parse("net:0.0.0.0:0~noauth;ws://0.0.0.0:0"), options, ct);
        int noAuthPort = Port(server, 0);
        int wsPort = Port(server, 1);

        // noauth trusts whoever reaches the socket, so only device scope may learn of it; the ws alternative
        // next to it is advertised everywhere as usual.
        Assert.Equal($"net:127.0.0.1:{noAuthPort}~noauth;ws://127.0.0.1:{wsPort}", server.GetAddress(AddressScope.Device)!.ToString());
        Assert.Equal($"ws://printer.lan:{wsPort}", server.GetAddress(AddressScope.Local)!.ToString());
        Assert.Equal($"ws://weft.example.org:{wsPort}", server.GetAddress(AddressScope.Public)!.ToString());
    }

    [Fact]
    public async Task Server_PrintedDeviceAddress_ClientConnectsWithIt()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using MultiAddressServer server = await MultiAddressServer.StartAsync(registry, MultiAddress.Parse("net:0.0.0.0:0;ws://0.0.0.0:0"), cancellationToken: ct);
        Task<List<string>> serve = ServeEchoAsync(server, 1, ct);

        await using TransportConnection connection = await new MultiAddressClient(registry).ConnectAsync(server.GetAddress(AddressScope.Device)!.ToString(), ct);

        Assert.Equal([5, 6], await TestNet.RoundTripAsync(connection, [5, 6], ct));
        Assert.Equal(["net"], await serve.WaitAsync(ct));
    }

    [Fact]
    public async Task Server_OneAlternativeCannotListen_OthersStoppedAndErrorThrown()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener taken = await registry.ListenAsync(Address.Parse("net:127.0.0.1:0"), cancellationToken: ct);
        int port = NetEndpoint.FromPart(taken.Address.Transport, allowPortZero: false).Port;
        string path = TestNet.UnixPath();

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await MultiAddressServer.StartAsync(registry, MultiAddress.Parse($"unix:{path};net:127.0.0.1:{port}"), cancellationToken: ct));

        Assert.Equal(TransportError.ListenFailed, ex.Error);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Server_Disposed_AcceptThrowsObjectDisposed()
    {
        CancellationToken ct = TestTimeout.Token();
        MultiAddressServer server = await MultiAddressServer.StartAsync(TransportRegistry.CreateDefault(), MultiAddress.Parse("net:127.0.0.1:0;ws://127.0.0.1:0"), cancellationToken: ct);
        ValueTask<TransportConnection> pending = server.AcceptAsync(ct);

        await server.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending);
    }

    private static int Port(MultiAddressServer server, int index)
    {
        ProtocolPart transport = server.BoundAddress.Alternatives[index].Transport;
        return transport.Name.StartsWith("ws", StringComparison.Ordinal)
            ? WebSocketEndpoint.FromPart(transport).Port
            : NetEndpoint.FromPart(transport, allowPortZero: false).Port;
    }

    private static async Task<List<string>> ServeEchoAsync(MultiAddressServer server, int count, CancellationToken ct)
    {
        var seen = new List<string>();
        for (int i = 0; i < count; i++)
        {
            await using TransportConnection connection = await server.AcceptAsync(ct);
            Assert.Equal(ConnectionRole.Server, connection.Role);
            seen.Add(connection.Address.Transport.Name);
            await TestNet.EchoAsync(connection, ct);
        }

        return seen;
    }
}
