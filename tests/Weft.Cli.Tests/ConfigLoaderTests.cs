using Weft.Cli.Config;
using Weft.Tunnel.Access;
using Weft.Tunnel.Forwards;

namespace Weft.Cli.Tests;

public class ConfigLoaderTests
{
    private const string KeyA = "Vt3Cx/Ihee5cL+3XWDMgJWwjXb/B6lXxH+7uNLMw1Bs=";
    private const string KeyB = "trtZa8D9FaI2Jp7G4pnIZZaBdzXwoQqoykk2sef/jwc=";
    private const string Relay = "net:127.0.0.1:7000~shs:" + KeyA;
    private const string NoiseRelay = "net:127.0.0.1:7000~noise:" + KeyA;

    [Fact]
    public void LoadFile_DocsExample_ParsesEveryRoleWithItsValues()
    {
        WeftConfig config = ConfigLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "weft.yaml"));

        Assert.NotNull(config.Relay);
        Assert.Equal(["net:0.0.0.0:7000~noise", "ws://0.0.0.0:7080~noise", "net:0.0.0.0:7008~shs"], config.Relay.Listen);
        Assert.True(config.Relay.Acl.MayServe(KeyB, "office"));
        Assert.False(config.Relay.Acl.MayServe(KeyA, "office"));
        Assert.True(config.Relay.Acl.MayReach("BWDtnLiG9yurL7ttGHtmIs4tVG5MG9bG8BTi5LXrHvU=", "office"));
        Assert.False(config.Relay.Acl.MayReach(KeyB, "office"));
        Assert.True(config.Relay.Acl.MayListen("/ud8skXAAYYpdrDI3vJyFfb6oX1lT8omceO5zKH0MG8=", loopback: true, 8050));
        Assert.False(config.Relay.Acl.MayListen("/ud8skXAAYYpdrDI3vJyFfb6oX1lT8omceO5zKH0MG8=", loopback: true, 9000));
        Assert.Equal(16, config.Relay.Limits.PerKey["BWDtnLiG9yurL7ttGHtmIs4tVG5MG9bG8BTi5LXrHvU="].MaxConcurrentStreams);
        Assert.Equal(1024 * 1024, config.Relay.Limits.PerKey["BWDtnLiG9yurL7ttGHtmIs4tVG5MG9bG8BTi5LXrHvU="].BytesPerSecond);

        ServerRole server = Assert.Single(config.Servers);
        Assert.Equal(["office"], server.Names);
        Assert.Equal([NoiseRelay], server.Relays);
        Assert.True(server.Acl.AllowsName("/ud8skXAAYYpdrDI3vJyFfb6oX1lT8omceO5zKH0MG8=", "printer.lan", 631, TargetProtocol.Tcp));
        Assert.True(server.Acl.AllowsName("BWDtnLiG9yurL7ttGHtmIs4tVG5MG9bG8BTi5LXrHvU=", "127.0.0.1", 22, TargetProtocol.Tcp));
        Assert.False(server.Acl.AllowsName("BWDtnLiG9yurL7ttGHtmIs4tVG5MG9bG8BTi5LXrHvU=", "127.0.0.1", 80, TargetProtocol.Tcp));
        Assert.Equal(TimeSpan.FromMilliseconds(250), server.Reconnect.InitialDelay);

        ClientRole client = Assert.Single(config.Clients);
        Assert.Equal(NoiseRelay, client.Upstream);
        Assert.Equal("office", client.DefaultServer);
        Assert.Equal(
            [ForwardKind.Local, ForwardKind.Local, ForwardKind.Dynamic, ForwardKind.Udp, ForwardKind.Remote],
            client.Forwards.Select(f => f.Kind));
        Assert.Equal("intranet.lan", client.Forwards[1].TargetHost);
        Assert.Equal(Hosting.LogFormat.Text, config.LogFormat);
        Assert.NotNull(config.ControlSocket);
    }

    [Fact]
    public void Parse_MinimalRelay_UsesDocumentedDefaults()
    {
        WeftConfig config = Parse("relay:\n  listen: net:0.0.0.0:7000~shs\n");

        Assert.Equal(["net:0.0.0.0:7000~shs"], config.Relay!.Listen);
        Assert.Equal(256, config.Relay.Limits.Default.MaxConcurrentStreams);
        Assert.Null(config.Relay.Limits.Default.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(15), config.Relay.RequestTimeout);
        Assert.False(config.Relay.Acl.IsKnownKey(KeyA));
        Assert.Equal(ConfigLoader.DefaultNetworkKey, config.NetworkKey);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, config.LogLevel);
        Assert.EndsWith($"weft-{Environment.ProcessId}.sock", config.ControlSocket, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine(".weft", "identity.key"), config.Relay.Identity.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ServerAndClientLists_RunSeveral()
    {
        WeftConfig config = Parse($"""
            server:
              - name: a
                relays: [{Relay}]
              - names: [b, c]
                listen: [net:127.0.0.1:0~noise]
            client:
              - upstream: {Relay}
                forwards: ["-L 1:a:h:2"]
              - upstream: {Relay}
            control:
              socket: off
            log:
              level: debug
              format: json
            """);

        Assert.Equal(2, config.Servers.Count);
        Assert.Equal(["b", "c"], config.Servers[1].Names);
        Assert.Equal(2, config.Clients.Count);
        Assert.Null(config.ControlSocket);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, config.LogLevel);
        Assert.Equal(Hosting.LogFormat.Json, config.LogFormat);
    }

    [Fact]
    public void Parse_RelativeIdentityPath_IsResolvedAgainstTheFilesFolder()
    {
        WeftConfig config = ConfigLoader.Parse("identity: keys/me.key\nrelay:\n  listen: net:0.0.0.0:1~shs\n  identity: relay.key\n", "w.yaml", "/srv/weft");

        Assert.Equal("/srv/weft/relay.key", config.Relay!.Identity.Path);
    }

    [Theory]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  clinets: []\n", 3, 3, "relay.clinets", "did you mean 'clients'?")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\nlogg:\n  level: info\n", 3, 1, "logg", "did you mean 'log'?")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  zzzzzzzz: 1\n", 3, 3, "relay.zzzzzzzz", "known keys here: identity, listen")]
    [InlineData("relay:\n  servers: []\n", 2, 3, "relay.listen", "missing")]
    [InlineData("relay:\n  listen:\n", 2, 3, "relay.listen", "the value is empty")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000\n", 2, 11, "relay.listen", "has no security layer")]
    [InlineData("relay:\n  listen: [\"net:0.0.0.0:7000~shs\", \"9net:x~shs\"]\n", 2, 36, "relay.listen[1]", "is not an address")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  clients:\n    - keys: [abc]\n      servers: [x]\n", 4, 14, "relay.clients[0].keys[0]", "is not a public key")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  clients:\n    - keys: ['*']\n", 4, 7, "relay.clients[0].servers", "missing")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  servers:\n    - name: Office\n      keys: ['*']\n", 4, 13, "relay.servers[0].name", "is not a server name")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  reverse:\n    - keys: ['*']\n      ports: 70000\n", 5, 14, "relay.reverse[0].ports", "is not a port range")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  limits:\n    max-streams: 0\n", 4, 18, "relay.limits.max-streams", "between 1 and")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  limits:\n    bandwidth: fast\n", 4, 16, "relay.limits.bandwidth", "is not a size")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\n  request-timeout: soon\n", 3, 20, "relay.request-timeout", "is not a duration")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\nlog:\n  level: loud\n", 4, 10, "log.level", "is not a log level")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\nlog:\n  format: xml\n", 4, 11, "log.format", "is not a log format")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\nnetwork-key: c2hvcnQ=\n", 3, 14, "network-key", "not a network key")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\nmux:\n  dialect: spdy\n", 4, 12, "mux.dialect", "Unknown mux dialect")]
    [InlineData("relay:\n  listen: net:0.0.0.0:7000~shs\nmux:\n  dialect: gomux\n", 4, 12, "mux.dialect", "needs a pre-shared key")]
    [InlineData("relay: [1, 2]\n", 1, 8, "relay", "expected a mapping")]
    [InlineData("server:\n  relays: [x]\n", 2, 3, "server", "no name")]
    [InlineData("server:\n  name: office\n", 2, 3, "server", "nothing to connect")]
    [InlineData("server:\n  name: 9lives\n  listen: net:0.0.0.0:1~shs\n", 2, 9, "server.name", "is not a server name")]
    [InlineData("server:\n  name: a\n  listen: net:0.0.0.0:1~shs\n  allow:\n    - keys: ['*']\n      hosts: [\"bad host!\"]\n", 6, 15, "server.allow[0].hosts[0]", "is not a host pattern")]
    [InlineData("server:\n  name: a\n  listen: net:0.0.0.0:1~shs\n  allow:\n    - keys: ['*']\n      hosts: ['*']\n      protocol: sctp\n", 7, 17, "server.allow[0].protocol", "is not a protocol")]
    [InlineData("server:\n  name: a\n  listen: net:0.0.0.0:1~shs\n  reconnect:\n    initial: 5s\n    max: 1s\n", 6, 10, "server.reconnect.max", "shorter than the first")]
    [InlineData("client:\n  server: office\n", 2, 3, "client.upstream", "missing")]
    [InlineData("client:\n  upstream: net:h:1~shs\n", 2, 13, "client.upstream", "does not pin the peer's key")]
    [InlineData("client:\n  upstream: net:h:1~shs:" + KeyA + "\n  forwards: [\"-L 80:localhost:22\"]\n", 3, 14, "client.forwards[0]", "names no server")]
    [InlineData("client:\n  upstream: net:h:1~shs:" + KeyA + "\n  server: a\n  forwards: [\"-X 80\"]\n", 4, 14, "client.forwards[0]", "is not a forward")]
    [InlineData("client:\n  upstream: net:h:1~shs:" + KeyA + "\n  server: a\n  forwards: [\"-L 99999:h:1\"]\n", 4, 14, "client.forwards[0]", "listen port '99999'")]
    [InlineData("client:\n  upstream: net:h:1~shs:" + KeyA + "\n  server: a\n  udp-queue: lots\n", 4, 14, "client.udp-queue", "is not a whole number")]
    public void Parse_BadValue_NamesFileLineColumnAndKey(string yaml, int line, int column, string key, string message)
    {
        ConfigException e = Assert.Throws<ConfigException>(() => Parse(yaml));

        Assert.Equal("w.yaml", e.File);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Equal(key, e.Key);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"w.yaml:{line}:{column}: {key}: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relay:\n  listen: [a\n", 3, "not valid YAML")]
    [InlineData("relay:\n  listen: x\nrelay:\n  listen: y\n", 3, "Duplicate key")]
    [InlineData("relay:\n\tlisten: x\n", 1, "not valid YAML")]
    [InlineData("relay: {listen: x}\n---\nclient: {}\n", 3, "more than one YAML document")]
    public void Parse_BrokenYaml_NamesFileAndLine(string yaml, int line, string message)
    {
        ConfigException e = Assert.Throws<ConfigException>(() => Parse(yaml));

        Assert.Equal(line, e.Line);
        Assert.StartsWith($"w.yaml:{line}:", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("# only a comment\n", "the file is empty")]
    [InlineData("log:\n  level: debug\n", "no role to run")]
    [InlineData("- a\n- b\n", "expected a mapping")]
    public void Parse_NothingToRun_SaysWhatIsMissing(string yaml, string message)
    {
        ConfigException e = Assert.Throws<ConfigException>(() => Parse(yaml));

        Assert.StartsWith("w.yaml", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_Missing_SaysSo()
    {
        ConfigException e = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile("/nonexistent/weft.yaml"));

        Assert.Contains("/nonexistent/weft.yaml: the file does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_Oversized_IsRefusedBeforeParsing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"weft-big-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(path, "# " + new string('x', ConfigLoader.MaxFileSize + 10));
            ConfigException e = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path));
            Assert.Contains("larger than", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Parse_NetworkKeyAndItsFile_AreExclusive()
    {
        string key = Convert.ToBase64String(new byte[32]);
        ConfigException e = Assert.Throws<ConfigException>(() => Parse($"network-key: {key}\nnetwork-key-file: k\nrelay:\n  listen: net:0.0.0.0:1~shs\n"));

        Assert.Contains("not both", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NetworkKeyFile_IsReadAndNeverQuoted()
    {
        string dir = Directory.CreateTempSubdirectory("weft-cfg-").FullName;
        try
        {
            byte[] key = new byte[32];
            key[0] = 7;
            File.WriteAllText(Path.Combine(dir, "net.key"), Convert.ToBase64String(key) + "\n");
            File.WriteAllText(Path.Combine(dir, "bad.key"), "not-a-key-but-a-secret");

            WeftConfig config = ConfigLoader.Parse("network-key-file: net.key\nrelay:\n  listen: net:0.0.0.0:1~shs\n", "w.yaml", dir);
            ConfigException e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("network-key-file: bad.key\nrelay:\n  listen: net:0.0.0.0:1~shs\n", "w.yaml", dir));

            Assert.Equal(key, config.NetworkKey);
            Assert.StartsWith("w.yaml:1:19: network-key-file: not a network key", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Parse_GomuxWithPskFile_SetsTheDialect()
    {
        string dir = Directory.CreateTempSubdirectory("weft-cfg-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "psk"), "shared secret words");

            WeftConfig config = ConfigLoader.Parse("mux:\n  dialect: gomux\n  psk-file: psk\n  keepalive: 5s\nrelay:\n  listen: net:0.0.0.0:1~shs\n", "w.yaml", dir);

            Assert.Equal(Weft.Mux.MuxDialectKind.Gomux, config.Mux.Dialect.Kind);
            Assert.Equal(TimeSpan.FromSeconds(5), config.Mux.Create()!.KeepAliveInterval);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DidYouMean_FarFromEveryKey_SuggestsNothing()
    {
        Assert.Null(ConfigMap.DidYouMean("qqqqqqqq", ["listen", "servers"]));
        Assert.Equal("servers", ConfigMap.DidYouMean("server", ["listen", "servers"]));
        Assert.Equal("listen", ConfigMap.DidYouMean("Listen", ["listen", "servers"]));
    }

    private static WeftConfig Parse(string yaml) => ConfigLoader.Parse(yaml, "w.yaml", "/srv/weft");
}
