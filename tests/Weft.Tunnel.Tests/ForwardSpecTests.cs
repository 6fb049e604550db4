using Weft.Tunnel.Forwards;

namespace Weft.Tunnel.Tests;

public sealed class ForwardSpecTests
{
    [Theory]
    [InlineData(ForwardKind.Local, "8080:localhost:80", "127.0.0.1", 8080, null, "localhost", 80)]
    [InlineData(ForwardKind.Local, "8080:office:localhost:80", "127.0.0.1", 8080, "office", "localhost", 80)]
    [InlineData(ForwardKind.Local, "0.0.0.0:8080:localhost:80", "0.0.0.0", 8080, null, "localhost", 80)]
    [InlineData(ForwardKind.Local, "localhost:8080:office:db.internal:5432", "localhost", 8080, "office", "db.internal", 5432)]
    [InlineData(ForwardKind.Local, "[::1]:0:office:[fe80::1]:22", "::1", 0, "office", "fe80::1", 22)]
    [InlineData(ForwardKind.Remote, "9000:localhost:22", "127.0.0.1", 9000, null, "localhost", 22)]
    [InlineData(ForwardKind.Remote, "0.0.0.0:9000:10.0.0.5:22", "0.0.0.0", 9000, null, "10.0.0.5", 22)]
    [InlineData(ForwardKind.Dynamic, "1080", "127.0.0.1", 1080, null, null, 0)]
    [InlineData(ForwardKind.Dynamic, "1080:exit", "127.0.0.1", 1080, "exit", null, 0)]
    [InlineData(ForwardKind.Dynamic, "localhost:1080", "localhost", 1080, null, null, 0)]
    [InlineData(ForwardKind.Dynamic, "[::1]:1080:exit-2", "::1", 1080, "exit-2", null, 0)]
    [InlineData(ForwardKind.Udp, "5353:office:10.0.0.1:53", "127.0.0.1", 5353, "office", "10.0.0.1", 53)]
    public void Parse_ValidSpec_FieldsAndRoundTrip(ForwardKind kind, string text, string bind, int bindPort, string? server, string? host, int port)
    {
        ForwardSpec spec = ForwardSpec.Parse(kind, text);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(bind, spec.BindHost);
        Assert.Equal(bindPort, spec.BindPort);
        Assert.Equal(server, spec.Server);
        Assert.Equal(host, spec.TargetHost);
        Assert.Equal(port, spec.TargetPort);
        Assert.Equal(spec, ForwardSpec.Parse(kind, spec.ToString()));
    }

    [Theory]
    [InlineData(ForwardKind.Local, "", "-L: the forward is empty")]
    [InlineData(ForwardKind.Local, "8080", "-L '8080': expected 3 to 5 fields separated by ':', found 1")]
    [InlineData(ForwardKind.Local, "8080:office:localhost:x", "-L '8080:office:localhost:x': the target port 'x' is not a number 1-65535")]
    [InlineData(ForwardKind.Local, "8080:office:localhost:0", "the target port '0' is not a number 1-65535")]
    [InlineData(ForwardKind.Local, "70000:localhost:80", "the listen port '70000' is not a number 0-65535")]
    [InlineData(ForwardKind.Local, "8080:Office:localhost:80", "'Office' is not a server name")]
    [InlineData(ForwardKind.Local, "8080::localhost:80", "field 2 is empty")]
    [InlineData(ForwardKind.Local, "8080:office:localhost:80:", "it ends with ':'")]
    [InlineData(ForwardKind.Local, "[::1:8080:localhost:80", "a '[' has no matching ']'")]
    [InlineData(ForwardKind.Local, "[localhost]:8080:a:80", "brackets are only for IPv6 addresses")]
    [InlineData(ForwardKind.Local, "8080:office:bad host:80", "the target host 'bad host' is not a host name or IP address")]
    [InlineData(ForwardKind.Local, "8080:office:12345:80", "the target host '12345' is not a host name or IP address")]
    [InlineData(ForwardKind.Remote, "9000:office:localhost:22", "the listen port 'office' is not a number 0-65535")]
    [InlineData(ForwardKind.Remote, "9000:22", "expected 3 or 4 fields")]
    [InlineData(ForwardKind.Dynamic, "a:b:c:d", "expected 1 to 3 fields")]
    [InlineData(ForwardKind.Dynamic, "socks", "the listen port 'socks' is not a number 0-65535")]
    [InlineData(ForwardKind.Udp, "53:office:host:-1", "the target port '-1' is not a number 1-65535")]
    public void Parse_InvalidSpec_ClearMessage(ForwardKind kind, string text, string expected)
    {
        Assert.False(ForwardSpec.TryParse(kind, text, out ForwardSpec? spec, out string? error));
        Assert.Null(spec);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("syntax: " + ForwardSpec.Option(kind), error, StringComparison.Ordinal);
        FormatException thrown = Assert.Throws<FormatException>(() => ForwardSpec.Parse(kind, text));
        Assert.Equal(error, thrown.Message);
    }

    [Fact]
    public void Parse_Oversized_Refused()
    {
        Assert.False(ForwardSpec.TryParse(ForwardKind.Local, new string('a', 5000), out _, out string? error));
        Assert.Contains("longer than 1024 characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-L", ForwardKind.Local)]
    [InlineData("local", ForwardKind.Local)]
    [InlineData("R", ForwardKind.Remote)]
    [InlineData("--dynamic", ForwardKind.Dynamic)]
    [InlineData("socks5", ForwardKind.Dynamic)]
    [InlineData("-U", ForwardKind.Udp)]
    public void TryParseKind_KnownNames(string option, ForwardKind expected)
    {
        Assert.True(ForwardSpec.TryParseKind(option, out ForwardKind kind));
        Assert.Equal(expected, kind);
    }

    [Fact]
    public void WithDefaultServer_FillsOnlyMissing()
    {
        Assert.Equal("office", ForwardSpec.Parse(ForwardKind.Local, "1:h:2").WithDefaultServer("office").Server);
        Assert.Equal("lab", ForwardSpec.Parse(ForwardKind.Local, "1:lab:h:2").WithDefaultServer("office").Server);
        Assert.Null(ForwardSpec.Parse(ForwardKind.Remote, "1:h:2").WithDefaultServer("office").Server);
    }
}
