using System.CommandLine;
using Weft.Cli.Config;
using Weft.Tunnel.Access;

namespace Weft.Cli.Commands;

/// <summary><c>weft relay</c>: the public meeting point of server agents and client agents.</summary>
internal static class RelayCommand
{
    public const string DefaultListen = "net:0.0.0.0:7000~noise";

    public static Command Create()
    {
        var host = new HostOptions();
        var listen = new Option<string[]>("--listen", "-l")
        {
            Description = $"Address to listen on for agents; repeatable [default: {DefaultListen}]",
            HelpName = "address",
            AllowMultipleArgumentsPerToken = false,
        };
        var server = new Option<string[]>("--server")
        {
            Description = "KEY:NAME — the server agent with public key KEY may serve NAME (or prefix-*); repeatable",
            HelpName = "key:name",
        };
        var client = new Option<string[]>("--client")
        {
            Description = "KEY[:NAME,...] — the client agent KEY ('*' = any authenticated key) may reach these servers [default: every server]; repeatable",
            HelpName = "key[:names]",
        };
        var reverse = new Option<string[]>("--reverse")
        {
            Description = "KEY:PORTS — agent KEY may open -R ports PORTS (8080, 8000-8099 or *) on the relay's loopback; repeatable",
            HelpName = "key:ports",
        };
        var maxStreams = new Option<int?>("--max-streams")
        {
            Description = "Streams one key may have open at once through the relay [default: 256]",
            HelpName = "n",
        };
        var bandwidth = new Option<string?>("--bandwidth")
        {
            Description = "Bytes per second one key may move, each direction, e.g. 10MiB [default: no limit]",
            HelpName = "size",
        };
        var command = new Command("relay", """
            Runs a relay: the public meeting point. Server agents dial out to it and register their names;
            client agents connect to it and ask for a server by name. Every stream is checked against the
            relay's rules (which key may serve which name, which client may reach which server), so the
            relay is never an open proxy. For many rules, use a config file and 'weft up'.

            Prints 'listening: relay ADDRESS' (with the relay's key: give it to agents), 'control: PATH'
            and 'ready: pid N' on standard output; Ctrl-C or SIGTERM stops it cleanly (exit 0).

            Examples:
              weft relay --server SERVERKEY:office --client CLIENTKEY:office
              weft relay -l net:0.0.0.0:7000~noise -l ws://0.0.0.0:8080~noise -l net:0.0.0.0:7008~shs --server SERVERKEY:office --client '*'
              weft relay --identity relay.key --server SKEY:lab-* --client CKEY:lab-1,lab-2 --reverse CKEY:8000-8099
            """);
        command.Options.Add(listen);
        command.Options.Add(server);
        command.Options.Add(client);
        command.Options.Add(reverse);
        command.Options.Add(maxStreams);
        command.Options.Add(bandwidth);
        host.AddTo(command);
        command.SetAction((parse, _) => HostOptions.RunAsync(() =>
        {
            string[] listenValues = parse.GetValue(listen) is { Length: > 0 } l ? l : [DefaultListen];
            var names = new List<ServerNameRule>();
            foreach (string value in parse.GetValue(server) ?? [])
            {
                (ConfigNode key, string? name) = HostOptions.SplitKey("--server", value);
                if (string.IsNullOrEmpty(name))
                {
                    throw key.Error($"'{value}' names no server: write KEY:NAME");
                }

                names.Add(new ServerNameRule(ConfigLoader.NamePattern(HostOptions.Node("--server", name)), ConfigLoader.Keys(key)));
            }

            var clients = new List<ServerAccessRule>();
            foreach (string value in parse.GetValue(client) ?? [])
            {
                (ConfigNode key, string? servers) = HostOptions.SplitKey("--client", value);
                IReadOnlyList<string> patterns = string.IsNullOrEmpty(servers)
                    ? ["*"]
                    : servers.Split(',').Select(s => ConfigLoader.NamePattern(HostOptions.Node("--client", s.Trim()))).ToList();
                clients.Add(new ServerAccessRule(ConfigLoader.Keys(key), patterns));
            }

            var reverseRules = new List<ReverseForwardRule>();
            foreach (string value in parse.GetValue(reverse) ?? [])
            {
                (ConfigNode key, string? ports) = HostOptions.SplitKey("--reverse", value);
                if (string.IsNullOrEmpty(ports))
                {
                    throw key.Error($"'{value}' names no ports: write KEY:PORTS, e.g. KEY:8000-8099");
                }

                reverseRules.Add(new ReverseForwardRule(ConfigLoader.Keys(key), ConfigLoader.Ports(HostOptions.Node("--reverse", ports))));
            }

            var relay = new RelayRole
            {
                Identity = host.IdentityRef(parse),
                Listen = ConfigLoader.ListenAddresses(HostOptions.Nodes("--listen", listenValues)),
                Acl = new RelayAcl { ServerNames = names, Clients = clients, ReverseForwards = reverseRules },
                Limits = Limits(parse.GetValue(maxStreams), parse.GetValue(bandwidth)),
            };
            return host.Apply(parse, new WeftConfig
            {
                Source = HostOptions.CommandLine,
                NetworkKey = host.NetworkKey(parse),
                ControlSocket = ConfigLoader.DefaultControlSocket(),
                Relay = relay,
            });
        }));
        return command;
    }

    /// <summary>Per-key limits from <c>--max-streams</c> and <c>--bandwidth</c>.</summary>
    public static TunnelLimits Limits(int? maxStreams, string? bandwidth)
    {
        if (maxStreams is < 1)
        {
            throw HostOptions.Node("--max-streams", maxStreams.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Error("must be at least 1");
        }

        long? bytes = bandwidth is null ? null : HostOptions.Node("--bandwidth", bandwidth).Size(min: 1024);
        return new TunnelLimits
        {
            Default = new KeyLimits
            {
                MaxConcurrentStreams = maxStreams ?? KeyLimits.Default.MaxConcurrentStreams,
                BytesPerSecond = bytes,
            },
        };
    }
}
