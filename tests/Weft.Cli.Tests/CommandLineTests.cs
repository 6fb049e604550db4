using Weft.Cli.Commands;
using Weft.Cli.Config;
using Weft.Cli.Tests.Support;
using Weft.Tunnel.Access;
using Weft.Tunnel.Forwards;

namespace Weft.Cli.Tests;

/// <summary>Forward options and the rule options of relay/serve, in process and through the real command line.</summary>
public class CommandLineTests
{
    private const string Key = "Vt3Cx/Ihee5cL+3XWDMgJWwjXb/B6lXxH+7uNLMw1Bs=";
    private const string Upstream = "net:127.0.0.1:9~shs:" + Key;

    [Theory]
    [InlineData(ForwardKind.Local, "2222:localhost:22", "127.0.0.1", 2222, "office", "localhost", 22)]
    [InlineData(ForwardKind.Local, "0.0.0.0:8080:lab:intranet:80", "0.0.0.0", 8080, "lab", "intranet", 80)]
    [InlineData(ForwardKind.Local, "[::1]:0:[fe80::1]:22", "::1", 0, "office", "fe80::1", 22)]
    [InlineData(ForwardKind.Dynamic, "1080", "127.0.0.1", 1080, "office", null, 0)]
    [InlineData(ForwardKind.Udp, "5353:lab:10.0.0.1:53", "127.0.0.1", 5353, "lab", "10.0.0.1", 53)]
    [InlineData(ForwardKind.Remote, "8000:localhost:3000", "127.0.0.1", 8000, null, "localhost", 3000)]
    public void ParseForward_ValidSpecs_GiveTheForward(ForwardKind kind, string text, string bind, int port, string? server, string? host, int hostPort)
    {
        ForwardSpec spec = ConnectCommand.ParseForward(kind, text, "office").WithDefaultServer("office");

        Assert.Equal((kind, bind, port, host, hostPort), (spec.Kind, spec.BindHost, spec.BindPort, spec.TargetHost, spec.TargetPort));
        Assert.Equal(server, spec.Server);
    }

    [Theory]
    [InlineData(ForwardKind.Local, "80:x:y", "office", "command line: -L: -L '80:x:y': the target port 'y'")]
    [InlineData(ForwardKind.Local, "2222:localhost:22", null, "command line: -L: names no server and there is no --server default")]
    [InlineData(ForwardKind.Dynamic, "1:2:3:4", "office", "expected 1 to 3 fields")]
    [InlineData(ForwardKind.Udp, "", "office", "the forward is empty")]
    [InlineData(ForwardKind.Remote, "70000:localhost:80", null, "the listen port '70000'")]
    public void ParseForward_BadSpecs_NameTheOptionAndTheField(ForwardKind kind, string text, string? server, string message)
    {
        ConfigException e = Assert.Throws<ConfigException>(() => ConnectCommand.ParseForward(kind, text, server));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Key + ":localhost:22", "localhost", 22, 22)]
    [InlineData(Key + ":10.0.0.0/8", "10.0.0.0/8", 1, 65535)]
    [InlineData("*:[::1]:8000-8100", "::1", 8000, 8100)]
    [InlineData("*:*.lan:*", "*.lan", 1, 65535)]
    public void ParseAllow_Valid_GivesTheRule(string text, string host, int first, int last)
    {
        TargetRule rule = ServeCommand.ParseAllow(text);

        Assert.Equal((host, first, last), (rule.Host.Text, rule.Ports.First, rule.Ports.Last));
    }

    [Theory]
    [InlineData(Key, "names no host")]
    [InlineData("abc:localhost:22", "is not a public key")]
    [InlineData(Key + ":::1:22", "write an IPv6 host in brackets")]
    [InlineData(Key + ":[::1:22", "is not closed")]
    [InlineData(Key + ":localhost:ssh", "is not a port range")]
    public void ParseAllow_Bad_SaysWhatIsWrong(string text, string message)
    {
        ConfigException e = Assert.Throws<ConfigException>(() => ServeCommand.ParseAllow(text));

        Assert.StartsWith("command line: --allow: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "connect", Upstream, "-L", "80:x:y", "-s", "office" }, "-L '80:x:y': the target port 'y' is not a number")]
    [InlineData(new[] { "connect", Upstream, "-D", "1080" }, "names no server and there is no --server default")]
    [InlineData(new[] { "connect", "net:127.0.0.1:9~shs", "-s", "a" }, "does not pin the peer's key")]
    [InlineData(new[] { "connect", Upstream, "-s", "Bad_Name" }, "is not a server name")]
    [InlineData(new[] { "relay", "--client", "nokey:office" }, "command line: --client: 'nokey' is not a public key")]
    [InlineData(new[] { "relay", "--listen", "net:0.0.0.0:7000" }, "has no security layer")]
    [InlineData(new[] { "relay", "--server", Key }, "names no server: write KEY:NAME")]
    [InlineData(new[] { "relay", "--bandwidth", "fast" }, "is not a size")]
    [InlineData(new[] { "serve", "--relay", Upstream }, "--name: required")]
    [InlineData(new[] { "serve", "--name", "office" }, "nothing to connect")]
    [InlineData(new[] { "serve", "--name", "office", "--relay", Upstream, "--log-level", "loud" }, "--log-level: 'loud' is not a log level")]
    [InlineData(new[] { "up", "-c", "/nonexistent/weft.yaml" }, "/nonexistent/weft.yaml: the file does not exist")]
    public async Task Run_BadOptions_ExitTwoWithTheOptionNamed(string[] args, string message)
    {
        var (exit, output, error) = await WeftProcess.RunAsync(args);

        Assert.True(exit == 2, $"exit {exit}\n{output}\n{error}");
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("ready:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingIdentity_AdvisesKeygen()
    {
        using var dir = new TempDirectory();

        var (exit, _, error) = await WeftProcess.RunAsync(["relay", "--identity", dir.File("none.key"), "--control", "off", "-l", "net:127.0.0.1:0~shs"]);

        Assert.Equal(2, exit);
        Assert.Contains($"--identity: Identity file '{dir.File("none.key")}' does not exist", error, StringComparison.Ordinal);
        Assert.Contains($"weft keygen -o {dir.File("none.key")}", error, StringComparison.Ordinal);
    }
}
