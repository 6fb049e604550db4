using Weft.Transports.Net;
using Weft.Transports.Unix;
using Weft.Transports.WebSockets;

namespace Weft.Transports.Tests;

public sealed class PluginAddressTests
{
    [Theory]
    [InlineData("net:localhost:8008", "localhost", 8008)]
    [InlineData("net:127.0.0.1:1", "127.0.0.1", 1)]
    [InlineData("net:fe80::1:8008", "fe80::1", 8008)]
    [InlineData("net:::1:65535", "::1", 65535)]
    [InlineData("net:[::1]:80", "::1", 80)]
    [InlineData("onion:abcdefghijklmnop.onion:80", "abcdefghijklmnop.onion", 80)]
    public void NetEndpoint_ValidPart_LastFieldIsPortRestIsHost(string text, string host, int port)
    {
        NetEndpoint endpoint = NetEndpoint.FromPart(ProtocolPart.Parse(text), allowPortZero: false);

        Assert.Equal(new NetEndpoint(host, port), endpoint);
    }

    [Fact]
    public void NetEndpoint_IPv6Host_PrintsColonsAsFieldSeparators()
    {
        Assert.Equal("net:fe80::1:8008", new NetEndpoint("fe80::1", 8008).ToPart().ToString());
        Assert.Equal("net:::1:8008", new NetEndpoint("::1", 8008).ToPart().ToString());
    }

    [Theory]
    [InlineData("net:8008")]
    [InlineData("net")]
    [InlineData("net:host:")]
    [InlineData("net:host:http")]
    [InlineData("net:host:65536")]
    [InlineData("net:host:0")]
    [InlineData("net:host:-1")]
    [InlineData("net::8008")]
    [InlineData("net:host:+80")]
    public void NetEndpoint_InvalidPart_ThrowsInvalidAddress(string text)
    {
        var ex = Assert.Throws<TransportException>(() => NetEndpoint.FromPart(ProtocolPart.Parse(text), allowPortZero: false));

        Assert.Equal(TransportError.InvalidAddress, ex.Error);
        Assert.Contains(text, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NetEndpoint_PortZeroForListening_Accepted()
    {
        Assert.Equal(0, NetEndpoint.FromPart(ProtocolPart.Parse("net:0.0.0.0:0"), allowPortZero: true).Port);
    }

    [Theory]
    [InlineData("ws://example.org", false, "example.org", 80, "/", "ws://example.org")]
    [InlineData("ws://example.org:80", false, "example.org", 80, "/", "ws://example.org")]
    [InlineData("ws://example.org:8080", false, "example.org", 8080, "/", "ws://example.org:8080")]
    [InlineData("wss://example.org", true, "example.org", 443, "/", "wss://example.org")]
    [InlineData("wss://example.org:443/", true, "example.org", 443, "/", "wss://example.org")]
    [InlineData("wss://example.org:80", true, "example.org", 80, "/", "wss://example.org:80")]
    [InlineData("ws://example.org:443", false, "example.org", 443, "/", "ws://example.org:443")]
    [InlineData("ws://127.0.0.1:9000/mux/v1", false, "127.0.0.1", 9000, "/mux/v1", "ws://127.0.0.1:9000/mux/v1")]
    [InlineData("ws://[::1]:9000/x", false, "::1", 9000, "/x", "ws://[::1]:9000/x")]
    [InlineData("wss://[::1]", true, "::1", 443, "/", "wss://[::1]")]
    public void WebSocketEndpoint_Part_DefaultPortsOmittedWhenPrinted(string text, bool secure, string host, int port, string path, string canonical)
    {
        WebSocketEndpoint endpoint = WebSocketEndpoint.FromPart(ProtocolPart.Parse(text));

        Assert.Equal(new WebSocketEndpoint(secure, host, port, path), endpoint);
        Assert.Equal(canonical, endpoint.ToPart().ToString());
        Assert.Equal(endpoint, WebSocketEndpoint.FromPart(ProtocolPart.Parse(canonical)));
    }

    [Theory]
    [InlineData("ws:example.org")]
    [InlineData("ws://")]
    [InlineData("ws")]
    [InlineData("ws://user@host")]
    [InlineData("ws://host:99999")]
    public void WebSocketEndpoint_InvalidPart_ThrowsInvalidAddress(string text)
    {
        var ex = Assert.Throws<TransportException>(() => WebSocketEndpoint.FromPart(ProtocolPart.Parse(text)));

        Assert.Equal(TransportError.InvalidAddress, ex.Error);
    }

    [Fact]
    public void UnixPart_PathWithColons_RejoinedAndPrinted()
    {
        ProtocolPart part = UnixTransport.ToPart("/srv/a:b.sock");

        Assert.Equal("unix:/srv/a:b.sock", part.ToString());
        Assert.Equal(["/srv/a", "b.sock"], part.Fields);
    }
}
