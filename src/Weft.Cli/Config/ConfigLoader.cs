using System.Security.Cryptography;
using System.Text;
using Weft.Cli.Commands;
using Weft.Cli.Hosting;
using Weft.Transports;
using Weft.Tunnel.Access;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Weft.Cli.Config;

/// <summary>
/// Reads a <c>weft.yaml</c> (schema in docs/cli.md) into a <see cref="WeftConfig"/>. Every error is a
/// <see cref="ConfigException"/> naming the file, line, column and key; unknown keys are errors (with a
/// "did you mean"); every value is checked here, before anything starts.
/// </summary>
internal static class ConfigLoader
{
    /// <summary>Largest configuration file read.</summary>
    public const int MaxFileSize = 1024 * 1024;

    /// <summary>The security layers that authenticate peers; every agent link must use one.</summary>
    public static readonly string[] SecurityLayers = ["shs", "noise"];

    private static readonly string[] s_topKeys = ["identity", "network-key", "network-key-file", "mux", "log", "control", "relay", "server", "client"];
    private static readonly string[] s_relayKeys = ["identity", "listen", "servers", "clients", "reverse", "limits", "request-timeout"];
    private static readonly string[] s_serverKeys = ["identity", "name", "names", "relays", "listen", "allow", "reverse", "limits", "reconnect", "connect-timeout", "request-timeout", "udp-idle-timeout"];
    private static readonly string[] s_clientKeys = ["identity", "upstream", "server", "forwards", "reconnect", "request-timeout", "connect-timeout", "socks-timeout", "udp-idle-timeout", "udp-queue", "udp-max-flows"];

    /// <summary>The network key used when none is configured: SHA-256 of the UTF-8 text <c>weft</c>.</summary>
    public static byte[] DefaultNetworkKey => SHA256.HashData("weft"u8);

    /// <summary>Reads and checks a configuration file.</summary>
    /// <exception cref="ConfigException">Anything is wrong; the message says where and what to do.</exception>
    public static WeftConfig LoadFile(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new ConfigException(path, 0, 0, string.Empty, "the file does not exist (see docs/examples/weft.yaml for a complete example)");
            }

            if (info.Length > MaxFileSize)
            {
                throw new ConfigException(path, 0, 0, string.Empty, $"the file is larger than {MaxFileSize / 1024} KiB; is it a weft configuration?");
            }

            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, 0, 0, string.Empty, $"cannot read the file: {e.Message}", e);
        }

        return Parse(text, path, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
    }

    /// <summary>Parses configuration text.</summary>
    /// <param name="text">The YAML.</param>
    /// <param name="file">The name used in messages.</param>
    /// <param name="baseDirectory">Relative paths (identity files, control socket) are resolved against it.</param>
    /// <exception cref="ConfigException">Anything is wrong.</exception>
    public static WeftConfig Parse(string text, string file, string baseDirectory)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            // YamlDotNet's messages start with "(Line: …, Col: …, Idx: …) - (…): "; the location is ours to print.
            string message = e.InnerException is YamlException inner ? inner.Message : e.Message;
            int cut = message.IndexOf("): ", StringComparison.Ordinal);
            message = cut >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(cut + 3)..] : message;
            throw new ConfigException(file, (int)e.Start.Line, (int)e.Start.Column, string.Empty, $"not valid YAML: {message}", e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            throw new ConfigException(file, 0, 0, string.Empty, "the file is empty; it needs at least one of: relay, server, client (see docs/examples/weft.yaml)");
        }

        if (stream.Documents.Count > 1)
        {
            YamlNode second = stream.Documents[1].RootNode;
            throw new ConfigException(file, (int)second.Start.Line, (int)second.Start.Column, string.Empty, "more than one YAML document ('---'); put every role in one document");
        }

        var root = new ConfigNode(file, string.Empty, stream.Documents[0].RootNode);
        ConfigMap top = root.Map(s_topKeys);
        return Build(top, file, baseDirectory);
    }

    private static WeftConfig Build(ConfigMap top, string file, string baseDirectory)
    {
        IdentityRef defaultIdentity = top.Get("identity") is { } id
            ? new IdentityRef(ResolvePath(id.String(), baseDirectory), file, id.Line, id.Column, id.Path)
            : new IdentityRef(DefaultPaths.ExpandHome(DefaultPaths.Identity), file, 0, 0, "identity (default ~/.weft/identity.key)");

        if (top.Get("network-key") is { } both && top.Has("network-key-file"))
        {
            throw both.Error("give network-key or network-key-file, not both");
        }

        byte[] networkKey = top.Get("network-key") is { } nk ? NetworkKey(nk, nk.String())
            : top.Get("network-key-file") is { } nkf ? NetworkKey(nkf, ReadSecretFile(nkf, baseDirectory))
            : DefaultNetworkKey;
        MuxSettings mux = top.Get("mux") is { } muxNode ? Mux(muxNode, baseDirectory) : new MuxSettings();

        var logLevel = Microsoft.Extensions.Logging.LogLevel.Information;
        var logFormat = LogFormat.Text;
        if (top.Get("log") is { } logNode)
        {
            ConfigMap log = logNode.Map("level", "format");
            if (log.Get("level") is { } level && !Logging.TryParseLevel(level.String(), out logLevel))
            {
                throw level.Error($"'{level.String()}' is not a log level (trace, debug, information, warning, error, critical, none)");
            }

            if (log.Get("format") is { } format && !Logging.TryParseFormat(format.String(), out logFormat))
            {
                throw format.Error($"'{format.String()}' is not a log format (text, json)");
            }
        }

        string? control = DefaultControlSocket();
        if (top.Get("control") is { } controlNode)
        {
            ConfigMap map = controlNode.Map("socket");
            if (map.Get("socket") is { } socket)
            {
                control = ControlPath(socket.String(), baseDirectory);
            }
        }

        RelayRole? relay = top.Get("relay") is { } relayNode ? Relay(relayNode, defaultIdentity, baseDirectory) : null;
        List<ServerRole> servers = top.Get("server") is { } serverNode ? OneOrMany(serverNode).Select(n => Server(n, defaultIdentity, baseDirectory)).ToList() : [];
        List<ClientRole> clients = top.Get("client") is { } clientNode ? OneOrMany(clientNode).Select(n => Client(n, defaultIdentity, baseDirectory)).ToList() : [];

        var config = new WeftConfig
        {
            Source = file,
            NetworkKey = networkKey,
            Mux = mux,
            LogLevel = logLevel,
            LogFormat = logFormat,
            ControlSocket = control,
            Relay = relay,
            Servers = servers,
            Clients = clients,
        };
        if (config.RoleCount == 0)
        {
            throw new ConfigException(file, top.Self.Line, top.Self.Column, string.Empty, "no role to run: add a relay, server or client section (see docs/examples/weft.yaml)");
        }

        return config;
    }

    /// <summary>The control socket path when none is configured: <c>CONTROL_DIR/weft-PID.sock</c>.</summary>
    public static string DefaultControlSocket() => Path.Combine(DefaultPaths.ControlDirectory, $"weft-{Environment.ProcessId}.sock");

    /// <summary><c>auto</c> (the default path), <c>off</c> (null) or a path.</summary>
    public static string? ControlPath(string text, string baseDirectory) => text switch
    {
        "auto" => DefaultControlSocket(),
        "off" or "none" => null,
        _ => ResolvePath(text, baseDirectory),
    };

    public static string ResolvePath(string path, string baseDirectory)
    {
        path = DefaultPaths.ExpandHome(path);
        return Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));
    }

    private static IEnumerable<ConfigNode> OneOrMany(ConfigNode node) =>
        node.Node is YamlSequenceNode ? node.Items() : [node];

    private static IdentityRef Identity(ConfigMap map, IdentityRef fallback, string baseDirectory) =>
        map.Get("identity") is { } id
            ? new IdentityRef(ResolvePath(id.String(), baseDirectory), id.File, id.Line, id.Column, id.Path)
            : fallback;

    private static byte[] NetworkKey(ConfigNode node, string text)
    {
        byte[] key = new byte[33];
        return Convert.TryFromBase64String(text.Trim(), key, out int written) && written == 32
            ? key[..32]
            : throw node.Error("not a network key: expected 32 bytes in base64 (every peer of the network must use the same one; make one with: head -c 32 /dev/urandom | base64)");
    }

    /// <summary>Reads a small secret file (network key, gomux pre-shared key); its content never appears in messages.</summary>
    public static string ReadSecretFile(ConfigNode node, string baseDirectory)
    {
        string path = ResolvePath(node.String(), baseDirectory);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw node.Error($"the file '{path}' does not exist");
            }

            if (info.Length > 4096)
            {
                throw node.Error($"the file '{path}' is larger than 4 KiB; it should hold one key");
            }

            string text = File.ReadAllText(path, Encoding.UTF8).Trim();
            return text.Length > 0 ? text : throw node.Error($"the file '{path}' is empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw node.Error($"cannot read '{path}': {e.Message}", e);
        }
    }

    private static MuxSettings Mux(ConfigNode node, string baseDirectory)
    {
        ConfigMap map = node.Map("dialect", "psk-file", "keepalive", "keepalive-timeout");
        string dialect = map.Get("dialect")?.String() ?? "yamux";
        string? psk = map.Get("psk-file") is { } pskNode ? ReadSecretFile(pskNode, baseDirectory) : null;
        Weft.Mux.MuxDialect parsed;
        try
        {
            parsed = Weft.Mux.MuxDialect.Parse(dialect, psk);
        }
        catch (ArgumentException e)
        {
            // The messages of MuxDialect.Parse name the problem, never the key.
            throw (map.Get("dialect") ?? node).Error(e.Message.Split(" (Parameter", 2)[0], e);
        }

        return new MuxSettings
        {
            Dialect = parsed,
            KeepAliveInterval = map.Get("keepalive")?.Duration(),
            KeepAliveTimeout = map.Get("keepalive-timeout")?.Duration(),
        };
    }

    private static RelayRole Relay(ConfigNode node, IdentityRef defaultIdentity, string baseDirectory)
    {
        ConfigMap map = node.Map(s_relayKeys);
        IReadOnlyList<string> listen = ListenAddresses(map.Require("listen", "give the addresses to listen on, e.g. net:0.0.0.0:7000~noise"));
        var names = new List<ServerNameRule>();
        foreach (ConfigNode item in map.Get("servers")?.Items() ?? [])
        {
            ConfigMap rule = item.Map("name", "keys");
            ConfigNode name = rule.Require("name", "the server name (or prefix-*) these keys may serve");
            names.Add(new ServerNameRule(NamePattern(name), Keys(rule.Require("keys", "the server agents' public keys"))));
        }

        var clients = new List<ServerAccessRule>();
        foreach (ConfigNode item in map.Get("clients")?.Items() ?? [])
        {
            ConfigMap rule = item.Map("keys", "servers");
            ConfigNode servers = rule.Require("servers", "the server names (or prefix-*, or *) these clients may reach");
            clients.Add(new ServerAccessRule(Keys(rule.Require("keys", "the client agents' public keys (or *)")), servers.Items().Select(NamePattern).ToList()));
        }

        return new RelayRole
        {
            Identity = Identity(map, defaultIdentity, baseDirectory),
            Listen = listen,
            Acl = new RelayAcl { ServerNames = names, Clients = clients, ReverseForwards = Reverse(map.Get("reverse")) },
            Limits = Limits(map.Get("limits")),
            RequestTimeout = map.Get("request-timeout")?.Duration() ?? TimeSpan.FromSeconds(15),
        };
    }

    private static ServerRole Server(ConfigNode node, IdentityRef defaultIdentity, string baseDirectory)
    {
        ConfigMap map = node.Map(s_serverKeys);
        var names = new List<string>();
        foreach (ConfigNode name in (map.Get("name")?.Items() ?? []).Concat(map.Get("names")?.Items() ?? []))
        {
            string text = name.String();
            names.Add(ServerName.IsValid(text) ? text : throw name.Error($"'{text}' is not a server name (1-{ServerName.MaxLength} characters a-z, 0-9 and '-', starting with a letter)"));
        }

        if (names.Count == 0)
        {
            throw node.Error("no name: add 'name: office' (the name clients ask the relay for)");
        }

        IReadOnlyList<string> relays = map.Get("relays") is { } r ? DialAddresses(r) : [];
        IReadOnlyList<string> listen = map.Get("listen") is { } l ? ListenAddresses(l) : [];
        if (relays.Count == 0 && listen.Count == 0)
        {
            throw node.Error("nothing to connect: add 'relays:' (addresses of relays to dial out to) or 'listen:' (direct mode)");
        }

        var targets = new List<TargetRule>();
        foreach (ConfigNode item in map.Get("allow")?.Items() ?? [])
        {
            ConfigMap rule = item.Map("keys", "hosts", "ports", "protocol");
            KeySet keys = Keys(rule.Require("keys", "the client keys (or *) this rule admits"));
            PortRange ports = rule.Get("ports") is { } p ? Ports(p) : PortRange.Any;
            TargetProtocol protocol = TargetProtocol.Any;
            if (rule.Get("protocol") is { } proto)
            {
                protocol = proto.String().ToUpperInvariant() switch
                {
                    "TCP" => TargetProtocol.Tcp,
                    "UDP" => TargetProtocol.Udp,
                    "ANY" => TargetProtocol.Any,
                    _ => throw proto.Error($"'{proto.String()}' is not a protocol (tcp, udp, any)"),
                };
            }

            foreach (ConfigNode host in rule.Require("hosts", "the target hosts: *, a name, *.domain, an address or a CIDR block").Items())
            {
                targets.Add(new TargetRule(keys, HostPatternOf(host), ports, protocol));
            }
        }

        return new ServerRole
        {
            Identity = Identity(map, defaultIdentity, baseDirectory),
            Names = names,
            Relays = relays,
            Listen = listen,
            Acl = new ServerAcl { Targets = targets },
            ReverseForwards = Reverse(map.Get("reverse")),
            Limits = Limits(map.Get("limits")),
            Reconnect = Reconnect(map.Get("reconnect")),
            ConnectTimeout = map.Get("connect-timeout")?.Duration() ?? TimeSpan.FromSeconds(10),
            RequestTimeout = map.Get("request-timeout")?.Duration() ?? TimeSpan.FromSeconds(15),
            UdpIdleTimeout = map.Get("udp-idle-timeout")?.Duration() ?? TimeSpan.FromSeconds(60),
        };
    }

    private static ClientRole Client(ConfigNode node, IdentityRef defaultIdentity, string baseDirectory)
    {
        ConfigMap map = node.Map(s_clientKeys);
        ConfigNode upstreamNode = map.Require("upstream", "the relay (or direct server agent) to connect to, with its key: net:HOST:7000~noise:KEY");
        string upstream = DialAddresses(upstreamNode) is [string one] ? one : throw upstreamNode.Error("give one upstream (alternatives go in one multiaddress, separated by ';')");
        string? defaultServer = null;
        if (map.Get("server") is { } serverNode)
        {
            defaultServer = serverNode.String();
            if (!ServerName.IsValid(defaultServer))
            {
                throw serverNode.Error($"'{defaultServer}' is not a server name (a-z, 0-9 and '-', starting with a letter)");
            }
        }

        var forwards = new List<ForwardSpec>();
        foreach (ConfigNode item in map.Get("forwards")?.Items() ?? [])
        {
            ForwardSpec spec = Forward(item);
            if (spec.Kind != ForwardKind.Remote && spec.Server is null && defaultServer is null)
            {
                throw item.Error($"{ForwardSpec.Option(spec.Kind)} {spec} names no server and the client has no 'server:' default: write {ForwardSpec.Option(spec.Kind)} {ForwardSpec.Syntax(spec.Kind)}, or add 'server: NAME'");
            }

            forwards.Add(spec);
        }

        return new ClientRole
        {
            Identity = Identity(map, defaultIdentity, baseDirectory),
            Upstream = upstream,
            DefaultServer = defaultServer,
            Forwards = forwards,
            Reconnect = Reconnect(map.Get("reconnect")),
            RequestTimeout = map.Get("request-timeout")?.Duration() ?? TimeSpan.FromSeconds(20),
            ConnectTimeout = map.Get("connect-timeout")?.Duration() ?? TimeSpan.FromSeconds(10),
            Socks5HandshakeTimeout = map.Get("socks-timeout")?.Duration() ?? TimeSpan.FromSeconds(10),
            UdpIdleTimeout = map.Get("udp-idle-timeout")?.Duration() ?? TimeSpan.FromSeconds(60),
            UdpQueueLength = map.Get("udp-queue")?.Int(1, 1_000_000) ?? 256,
            MaxUdpFlows = map.Get("udp-max-flows")?.Int(1, 1_000_000) ?? 1024,
        };
    }

    /// <summary>A forward written as on the command line: <c>-L 8080:office:localhost:80</c>.</summary>
    public static ForwardSpec Forward(ConfigNode node)
    {
        string text = node.String().Trim();
        int space = text.IndexOfAny([' ', '\t']);
        string option = space < 0 ? text : text[..space];
        if (space < 0 || !ForwardSpec.TryParseKind(option, out ForwardKind kind))
        {
            throw node.Error($"'{text}' is not a forward: write the option and the spec, e.g. \"-L 8080:office:localhost:80\", \"-D 1080\", \"-U 5353:office:10.0.0.1:53\", \"-R 8080:localhost:80\"");
        }

        return ForwardSpec.TryParse(kind, text[(space + 1)..].Trim(), out ForwardSpec? spec, out string? error)
            ? spec
            : throw node.Error(error);
    }

    private static List<ReverseForwardRule> Reverse(ConfigNode? node)
    {
        var rules = new List<ReverseForwardRule>();
        foreach (ConfigNode item in node?.Items() ?? [])
        {
            ConfigMap rule = item.Map("keys", "ports", "non-loopback");
            rules.Add(new ReverseForwardRule(
                Keys(rule.Require("keys", "the agent keys (or *) that may open ports")),
                Ports(rule.Require("ports", "the ports they may open: 8080, 8000-8099 or *")),
                rule.Get("non-loopback")?.Bool() ?? false));
        }

        return rules;
    }

    private static TunnelLimits Limits(ConfigNode? node)
    {
        if (node is null)
        {
            return new TunnelLimits();
        }

        ConfigMap map = node.Map("max-streams", "bandwidth", "max-total-streams", "max-sessions", "keys");
        KeyLimits defaults = KeyLimitsOf(map);
        var perKey = new Dictionary<string, KeyLimits>(StringComparer.Ordinal);
        foreach (ConfigNode item in map.Get("keys")?.Items() ?? [])
        {
            ConfigMap entry = item.Map("keys", "max-streams", "bandwidth");
            KeyLimits limits = KeyLimitsOf(entry, defaults);
            ConfigNode keys = entry.Require("keys", "the keys these limits apply to");
            foreach (ConfigNode key in keys.Items())
            {
                perKey[Key(key, allowAny: false)] = limits;
            }
        }

        return new TunnelLimits
        {
            Default = defaults,
            PerKey = perKey,
            MaxTotalStreams = map.Get("max-total-streams")?.Int(1, 10_000_000) ?? 10_000,
            MaxSessions = map.Get("max-sessions")?.Int(1, 10_000_000) ?? 1_000,
        };
    }

    private static KeyLimits KeyLimitsOf(ConfigMap map, KeyLimits? inherit = null) => new()
    {
        MaxConcurrentStreams = map.Get("max-streams")?.Int(1, 10_000_000) ?? inherit?.MaxConcurrentStreams ?? KeyLimits.Default.MaxConcurrentStreams,
        BytesPerSecond = map.Get("bandwidth") is { } b ? b.Size(min: 1024) : inherit?.BytesPerSecond,
    };

    private static ReconnectPolicy Reconnect(ConfigNode? node)
    {
        if (node is null)
        {
            return ReconnectPolicy.Default;
        }

        ConfigMap map = node.Map("initial", "max", "multiplier", "reset-after");
        var d = ReconnectPolicy.Default;
        TimeSpan initial = map.Get("initial")?.Duration() ?? d.InitialDelay;
        TimeSpan max = map.Get("max")?.Duration() ?? d.MaxDelay;
        if (initial <= TimeSpan.Zero)
        {
            throw map.Get("initial")!.Error("must be more than 0");
        }

        if (max < initial)
        {
            throw (map.Get("max") ?? map.Get("initial")!).Error($"the longest delay ({Durations.Format(max)}) is shorter than the first ({Durations.Format(initial)})");
        }

        double multiplier = d.Multiplier;
        if (map.Get("multiplier") is { } m)
        {
            if (!double.TryParse(m.String(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out multiplier) || multiplier < 1 || multiplier > 100)
            {
                throw m.Error($"'{m.String()}' is not a multiplier between 1 and 100");
            }
        }

        return new ReconnectPolicy
        {
            InitialDelay = initial,
            MaxDelay = max,
            Multiplier = multiplier,
            ResetAfter = map.Get("reset-after")?.Duration() ?? d.ResetAfter,
        };
    }

    internal static KeySet Keys(ConfigNode node)
    {
        var keys = node.Items().Select(k => Key(k, allowAny: true)).ToList();
        return keys.Count > 0 ? new KeySet(keys) : throw node.Error("the key list is empty: list public keys (weft keygen prints them), or '*' for any authenticated key");
    }

    internal static string Key(ConfigNode node, bool allowAny)
    {
        string text = node.String();
        if (allowAny && text.Trim() == "*")
        {
            return "*";
        }

        return TunnelKey.TryNormalize(text, out string? key)
            ? key
            : throw node.Error($"'{Shorten(text)}' is not a public key: expected 44 characters of base64 as 'weft keygen' prints{(allowAny ? ", or '*' for any authenticated key" : string.Empty)}");
    }

    internal static string NamePattern(ConfigNode node)
    {
        string text = node.String();
        string bare = text.EndsWith('*') ? text[..^1].TrimEnd('-') : text;
        return text == "*" || ServerName.IsValid(bare)
            ? text
            : throw node.Error($"'{text}' is not a server name or pattern (name, prefix-* or *; names are a-z, 0-9 and '-', starting with a letter)");
    }

    internal static PortRange Ports(ConfigNode node)
    {
        string text = node.String();
        return PortRange.TryParse(text, out PortRange? range) ? range : throw node.Error($"'{text}' is not a port range (22, 8000-8100 or *)");
    }

    internal static HostPattern HostPatternOf(ConfigNode node)
    {
        string text = node.String();
        return HostPattern.TryParse(text, out HostPattern? pattern)
            ? pattern
            : throw node.Error($"'{text}' is not a host pattern (*, a host name, *.domain, an IP address or a CIDR block such as 10.0.0.0/8)");
    }

    /// <summary>Addresses to listen on; each alternative must carry a security layer.</summary>
    public static IReadOnlyList<string> ListenAddresses(ConfigNode node) => Addresses(node, dial: false);

    /// <summary>Addresses to dial; each alternative must carry a security layer with the peer's key pinned.</summary>
    public static IReadOnlyList<string> DialAddresses(ConfigNode node) => Addresses(node, dial: true);

    private static List<string> Addresses(ConfigNode node, bool dial)
    {
        var result = new List<string>();
        foreach (ConfigNode item in node.Items())
        {
            string text = item.String();
            if (!MultiAddress.TryParse(text, out MultiAddress? address) || address is null)
            {
                string detail;
                try
                {
                    _ = MultiAddress.Parse(text);
                    detail = "invalid";
                }
                catch (FormatException e)
                {
                    detail = e.Message;
                }

                throw item.Error($"'{text}' is not an address: {detail} (see docs/addresses.md)");
            }

            foreach (Address alternative in address.Alternatives)
            {
                ProtocolPart? secure = alternative.Layers.FirstOrDefault(l => SecurityLayers.Contains(l.Name));
                if (secure is null)
                {
                    throw item.Error(dial
                        ? $"'{alternative}' has no security layer: append ~noise:KEY with the peer's public key (or ~shs:KEY for a secret-handshake listener; agents only talk to authenticated peers)"
                        : $"'{alternative}' has no security layer: append ~noise (or ~shs for multiserver peers; agents only talk to authenticated peers)");
                }

                if (dial && (secure.Fields.Count == 0 || secure.Fields[0].Length == 0))
                {
                    throw item.Error($"'{alternative}' does not pin the peer's key: write ~{secure.Name}:KEY with the key 'weft keygen' printed on that machine");
                }
            }

            if (node.Items().Count > 0 && result.Contains(text))
            {
                throw item.Error($"'{text}' is listed twice");
            }

            result.Add(text);
        }

        if (result.Count == 0)
        {
            throw node.Error("the list is empty");
        }

        return result;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
