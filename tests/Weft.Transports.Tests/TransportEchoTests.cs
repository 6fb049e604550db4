using System.Net.NetworkInformation;
using System.Net.Sockets;
using Weft.Testing;
using Weft.Transports.Net;
using Weft.Transports.Registry;
using Weft.Transports.Socks;
using Weft.Transports.Unix;
using Weft.Transports.WebSockets;

namespace Weft.Transports.Tests;

public sealed class TransportEchoTests
{
    private static readonly byte[] s_payload = TestNet.Payload(200_000);

    [Theory]
    [InlineData("net:127.0.0.1:0")]
    [InlineData("net:::1:0")]
    [InlineData("ws://127.0.0.1:0")]
    [InlineData("ws://127.0.0.1:0/deep/path")]
    [InlineData("ws://[::1]:0/v6")]
    public async Task Transport_Listen_EchoesPayloadWithHalfClose(string listen)
    {
        if (listen.Contains("::1", StringComparison.Ordinal))
        {
            AssertIPv6LoopbackAvailable();
        }

        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse(listen), cancellationToken: ct);
        Task echo = TestNet.EchoOneAsync(listener, ct);

        await using TransportConnection client = await registry.DialAsync(listener.Address, ct);
        byte[] back = await TestNet.RoundTripAsync(client, s_payload, ct);

        Assert.Equal(s_payload, back);
        await echo.WaitAsync(ct);
        Assert.Equal(ConnectionRole.Client, client.Role);
        Assert.Equal(listener.Address, client.Address);
    }

    [Fact]
    public async Task Net_HostNameLocalhost_ResolvesAndConnects()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("net:127.0.0.1:0"), cancellationToken: ct);
        int port = NetEndpoint.FromPart(listener.Address.Transport, allowPortZero: false).Port;
        Task echo = TestNet.EchoOneAsync(listener, ct);

        await using TransportConnection client = await registry.DialAsync(Address.Parse($"net:localhost:{port}"), ct);

        Assert.Equal(s_payload, await TestNet.RoundTripAsync(client, s_payload, ct));
        await echo.WaitAsync(ct);
        Assert.True(((SocketStream)client.Stream).Socket.NoDelay);
    }

    [Fact]
    public async Task Net_DialedAndAcceptedSockets_BothHaveNoDelay()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("net:127.0.0.1:0"), cancellationToken: ct);
        ValueTask<TransportConnection> accepting = listener.AcceptAsync(ct);

        await using TransportConnection client = await registry.DialAsync(listener.Address, ct);
        await using TransportConnection server = await accepting;

        Assert.True(Assert.IsType<SocketStream>(client.Stream).Socket.NoDelay, "the dialled socket must have TCP_NODELAY");
        Assert.True(Assert.IsType<SocketStream>(server.Stream).Socket.NoDelay, "the accepted socket must have TCP_NODELAY");
    }

    [Fact]
    public async Task Net_ListenOnIPv6Any_AcceptsIPv4ClientsToo()
    {
        AssertIPv6LoopbackAvailable();
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("net::::0"), cancellationToken: ct);
        int port = NetEndpoint.FromPart(listener.Address.Transport, allowPortZero: false).Port;
        Task echo = TestNet.EchoOneAsync(listener, ct);

        await using TransportConnection client = await registry.DialAsync(Address.Parse($"net:127.0.0.1:{port}"), ct);

        Assert.Equal(s_payload, await TestNet.RoundTripAsync(client, s_payload, ct));
        await echo.WaitAsync(ct);
    }

    [Fact]
    public async Task Unix_Listen_EchoesAndRemovesSocketFileOnDispose()
    {
        CancellationToken ct = TestTimeout.Token();
        string path = TestNet.UnixPath();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        IConnectionListener listener = await registry.ListenAsync(new Address(UnixTransport.ToPart(path)), cancellationToken: ct);
        try
        {
            Task echo = TestNet.EchoOneAsync(listener, ct);
            await using TransportConnection client = await registry.DialAsync(Address.Parse("unix:" + path), ct);

            Assert.Equal(s_payload, await TestNet.RoundTripAsync(client, s_payload, ct));
            await echo.WaitAsync(ct);
            Assert.True(File.Exists(path));
        }
        finally
        {
            await listener.DisposeAsync();
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Unix_StaleSocketFile_ReplacedButLiveSocketRefused()
    {
        CancellationToken ct = TestTimeout.Token();
        string path = TestNet.UnixPath();
        // Bound but not listening: connecting is refused, as for the file of a crashed server.
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stale.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));

        Assert.True(File.Exists(path));
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("unix:" + path), cancellationToken: ct);

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await registry.ListenAsync(Address.Parse("unix:" + path), cancellationToken: ct));

        Assert.Equal(TransportError.ListenFailed, ex.Error);
    }

    [Fact]
    public async Task WebSocket_WrongPath_FailsWithConnectFailed()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("ws://127.0.0.1:0/right"), cancellationToken: ct);
        int port = WebSocketEndpoint.FromPart(listener.Address.Transport).Port;

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await registry.DialAsync(Address.Parse($"ws://127.0.0.1:{port}/wrong"), ct));

        Assert.Equal(TransportError.ConnectFailed, ex.Error);
        Assert.Contains("404", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocket_ServerWritesAfterClientAbort_FailWithIOExceptionBecauseTheKernelSocketIsWatched()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("ws://127.0.0.1:0/abort"), cancellationToken: ct);
        ValueTask<TransportConnection> accepting = listener.AcceptAsync(ct);
        await using TransportConnection client = await registry.DialAsync(listener.Address, ct);
        await using TransportConnection server = await accepting;

        // Kestrel discards writes to a connection the peer reset and reports it only later, from the thread pool; the
        // server stream therefore also watches Kestrel's socket (without it, writes could vanish on a busy machine).
        var serverStream = Assert.IsType<WebSocketConnectionStream>(server.Stream);
        object? socket = typeof(WebSocketConnectionStream)
            .GetField("_socket", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(serverStream);
        Assert.IsType<Socket>(socket);

        ((WebSocketConnectionStream)client.Stream).WebSocket.Abort();
        byte[] chunk = new byte[64 * 1024];
        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (int i = 0; i < 4096; i++)
            {
                await serverStream.WriteAsync(chunk, ct);
            }
        });
        Assert.Contains("aborted", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pfx", "pin")]
    [InlineData("pem", "pin")]
    [InlineData("pem-separate-key", "ca")]
    [InlineData("pfx", "ca")]
    public async Task SecureWebSocket_SelfSignedTrusted_Echoes(string certificateFormat, string trust)
    {
        CancellationToken ct = TestTimeout.Token();
        using TestCertificates certificates = TestCertificates.Create();
        var options = new WebSocketTransportOptions
        {
            ServerCertificatePath = certificateFormat == "pfx" ? certificates.PfxPath : certificates.PemPath,
            ServerKeyPath = certificateFormat == "pem-separate-key" || certificateFormat == "pem" ? certificates.KeyPath : null,
            ServerCertificatePassword = certificateFormat == "pfx" ? TestCertificates.Password : null,
            TrustedCertificateHashes = trust == "pin" ? [certificates.Sha256] : [],
            TrustedCaPath = trust == "ca" ? certificates.CaPath : null,
        };
        TransportRegistry registry = TransportRegistry.CreateDefault(new DefaultTransportOptions { WebSockets = options });
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("wss://127.0.0.1:0/secure"), cancellationToken: ct);
        Task echo = TestNet.EchoOneAsync(listener, ct);
        int port = WebSocketEndpoint.FromPart(listener.Address.Transport).Port;

        // Dial by name so that the CA check also verifies the host name against the certificate.
        await using TransportConnection client = await registry.DialAsync(Address.Parse($"wss://localhost:{port}/secure"), ct);

        Assert.Equal(s_payload, await TestNet.RoundTripAsync(client, s_payload, ct));
        await echo.WaitAsync(ct);
    }

    [Fact]
    public async Task SecureWebSocket_UntrustedCertificate_FailsWithConnectFailed()
    {
        CancellationToken ct = TestTimeout.Token();
        using TestCertificates certificates = TestCertificates.Create();
        using TestCertificates other = TestCertificates.Create();
        TransportRegistry server = TransportRegistry.CreateDefault(new DefaultTransportOptions
        {
            WebSockets = new WebSocketTransportOptions { ServerCertificatePath = certificates.PfxPath, ServerCertificatePassword = TestCertificates.Password },
        });
        await using IConnectionListener listener = await server.ListenAsync(Address.Parse("wss://127.0.0.1:0"), cancellationToken: ct);
        TransportRegistry pinnedToOther = TransportRegistry.CreateDefault(new DefaultTransportOptions
        {
            WebSockets = new WebSocketTransportOptions { TrustedCertificateHashes = [other.Sha256], TrustedCaPath = other.CaPath },
        });

        var noTrust = await Assert.ThrowsAsync<TransportException>(async () => await TransportRegistry.CreateDefault().DialAsync(listener.Address, ct));
        var wrongTrust = await Assert.ThrowsAsync<TransportException>(async () => await pinnedToOther.DialAsync(listener.Address, ct));

        Assert.Equal(TransportError.ConnectFailed, noTrust.Error);
        Assert.Equal(TransportError.ConnectFailed, wrongTrust.Error);
        Assert.Contains("certificate", wrongTrust.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("certificate", noTrust.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SecureWebSocket_NoServerCertificate_ListenFails()
    {
        CancellationToken ct = TestTimeout.Token();

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await TransportRegistry.CreateDefault().ListenAsync(Address.Parse("wss://127.0.0.1:0"), cancellationToken: ct));

        Assert.Equal(TransportError.ListenFailed, ex.Error);
        Assert.Contains("certificate", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Onion_ThroughMicrosocks_EchoesAfterSkippingUnreachableProxy()
    {
        CancellationToken ct = TestTimeout.Token();
        await using Microsocks socks = await Microsocks.StartAsync(ct);
        TransportRegistry registry = TransportRegistry.CreateDefault(new DefaultTransportOptions
        {
            Onion = new OnionTransportOptions { Proxies = [new NetEndpoint("127.0.0.1", TestNet.FreeTcpPort()), new NetEndpoint("127.0.0.1", socks.Port)] },
        });
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("net:127.0.0.1:0"), cancellationToken: ct);
        int port = NetEndpoint.FromPart(listener.Address.Transport, allowPortZero: false).Port;
        Task echo = TestNet.EchoOneAsync(listener, ct);

        // Domain-name addressing: microsocks resolves "localhost" itself, as Tor resolves .onion names.
        await using TransportConnection client = await registry.DialAsync(Address.Parse($"onion:localhost:{port}"), ct);

        // microsocks closes both directions on the first FIN, so read the echo back before half-closing.
        await client.Stream.WriteAsync(s_payload, ct);
        byte[] back = new byte[s_payload.Length];
        await client.Stream.ReadExactlyAsync(back, ct);
        Assert.Equal(s_payload, back);
        await ((IHalfCloseable)client.Stream).CompleteWritesAsync(ct);
        await echo.WaitAsync(ct);
        Assert.Contains($"127.0.0.1:{socks.Port}", client.RemoteEndPoint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Onion_TargetRefusedByProxy_ThrowsProxyFailed()
    {
        CancellationToken ct = TestTimeout.Token();
        await using Microsocks socks = await Microsocks.StartAsync(ct);
        TransportRegistry registry = TransportRegistry.CreateDefault(new DefaultTransportOptions
        {
            Onion = new OnionTransportOptions { Proxies = [new NetEndpoint("127.0.0.1", socks.Port)] },
        });

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await registry.DialAsync(Address.Parse($"onion:127.0.0.1:{TestNet.FreeTcpPort()}"), ct));

        Assert.Equal(TransportError.ProxyFailed, ex.Error);
        Assert.Contains("SOCKS5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Onion_NoProxyReachable_ThrowsConnectFailedNamingProxies()
    {
        CancellationToken ct = TestTimeout.Token();
        int unused = TestNet.FreeTcpPort();
        TransportRegistry registry = TransportRegistry.CreateDefault(new DefaultTransportOptions
        {
            Onion = new OnionTransportOptions { Proxies = [new NetEndpoint("127.0.0.1", unused)] },
        });

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await registry.DialAsync(Address.Parse("onion:abcdefghijklmnop.onion:80"), ct));

        Assert.Equal(TransportError.ConnectFailed, ex.Error);
        Assert.Contains($"127.0.0.1:{unused}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnionTransport_DefaultProxies_TorThenTorBrowser()
    {
        Assert.Equal([new NetEndpoint("127.0.0.1", 9050), new NetEndpoint("127.0.0.1", 9150)], new OnionTransportOptions().Proxies);
        Assert.False(new OnionTransport().CanListen);
    }

    private static void AssertIPv6LoopbackAvailable()
    {
        bool available = Socket.OSSupportsIPv6 && NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Any(a => a.Address.Equals(System.Net.IPAddress.IPv6Loopback));
        Assert.True(available, "IPv6 loopback ::1 is not configured on this machine (check 'ip -6 addr'); the IPv6 transport tests need it.");
    }
}
