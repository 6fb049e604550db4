using System.CommandLine;
using Weft.Cli.Config;
using Weft.Tunnel.Access;

namespace Weft.Cli.Commands;

/// <summary><c>weft serve</c>: the server agent, which reaches targets on its own network.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var host = new HostOptions();
        var name = new Option<string[]>("--name", "-n")
        {
            Description = "Name this agent serves (clients ask the relay for it); repeatable; required",
            HelpName = "name",
        };
        var relay = new Option<string[]>("--relay", "-r")
        {
            Description = "Relay to dial out to, with its key: net:HOST:7000~noise:KEY; repeatable",
            HelpName = "address",
        };
        var listen = new Option<string[]>("--listen", "-l")
        {
            Description = "Direct mode: also listen for client agents here, e.g. net:0.0.0.0:7001~noise; repeatable",
            HelpName = "address",
        };
        var allow = new Option<string[]>("--allow", "-a")
        {
            Description = "KEY:HOST[:PORTS] — client KEY ('*' = any authenticated key) may reach HOST (name, *.domain, IP, CIDR or *; IPv6 in brackets) on PORTS (22, 8000-8100 or *) [default ports: *]; repeatable. Nothing is allowed without one.",
            HelpName = "key:host[:ports]",
        };
        var reverse = new Option<string[]>("--reverse")
        {
            Description = "Direct mode: KEY:PORTS — client KEY may open -R ports on this agent's loopback; repeatable",
            HelpName = "key:ports",
        };
        var maxStreams = new Option<int?>("--max-streams")
        {
            Description = "Streams one client key may have open at once [default: 256]",
            HelpName = "n",
        };
        var bandwidth = new Option<string?>("--bandwidth")
        {
            Description = "Bytes per second one client key may move, each direction, e.g. 10MiB [default: no limit]",
            HelpName = "size",
        };
        var command = new Command("serve", """
            Runs a server agent: it dials OUT to its relays (so it needs no open port), registers its names,
            and connects the targets that clients ask for — only those its --allow rules grant to the
            client's verified key. With --listen it also accepts client agents directly (like sshd).

            Prints 'listening: server NAME ADDRESS' for direct mode, 'connected: server NAME -> RELAY
            (session N)' each time a relay session comes up, 'control: PATH' and 'ready: pid N'.

            Examples:
              weft serve --name office --relay net:relay.example.com:7000~noise:RELAYKEY --allow CLIENTKEY:localhost:22
              weft serve -n office -r net:relay.example.com:7000~noise:RELAYKEY -a 'CLIENTKEY:10.0.0.0/8:*' -a 'CLIENTKEY:*.lan:80'
              weft serve --name lab --listen net:0.0.0.0:7001~noise --allow 'CLIENTKEY:[::1]:8080'
            """);
        command.Options.Add(name);
        command.Options.Add(relay);
        command.Options.Add(listen);
        command.Options.Add(allow);
        command.Options.Add(reverse);
        command.Options.Add(maxStreams);
        command.Options.Add(bandwidth);
        host.AddTo(command);
        command.SetAction((parse, _) => HostOptions.RunAsync(() =>
        {
            string[] names = parse.GetValue(name) ?? [];
            if (names.Length == 0)
            {
                throw HostOptions.Node("--name", string.Empty).Error("required: the name clients ask for, e.g. --name office");
            }

            foreach (string n in names)
            {
                if (!ServerName.IsValid(n))
                {
                    throw HostOptions.Node("--name", n).Error($"'{n}' is not a server name (a-z, 0-9 and '-', starting with a letter)");
                }
            }

            string[] relays = parse.GetValue(relay) ?? [];
            string[] listens = parse.GetValue(listen) ?? [];
            if (relays.Length == 0 && listens.Length == 0)
            {
                throw HostOptions.Node("--relay", string.Empty).Error("nothing to connect: give --relay ADDRESS (or --listen ADDRESS for direct mode)");
            }

            var targets = (parse.GetValue(allow) ?? []).Select(ParseAllow).ToList();
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

            var role = new ServerRole
            {
                Identity = host.IdentityRef(parse),
                Names = names,
                Relays = relays.Length > 0 ? ConfigLoader.DialAddresses(HostOptions.Nodes("--relay", relays)) : [],
                Listen = listens.Length > 0 ? ConfigLoader.ListenAddresses(HostOptions.Nodes("--listen", listens)) : [],
                Acl = new ServerAcl { Targets = targets },
                ReverseForwards = reverseRules,
                Limits = RelayCommand.Limits(parse.GetValue(maxStreams), parse.GetValue(bandwidth)),
            };
            return host.Apply(parse, new WeftConfig
            {
                Source = HostOptions.CommandLine,
                NetworkKey = host.NetworkKey(parse),
                ControlSocket = ConfigLoader.DefaultControlSocket(),
                Servers = [role],
            });
        }));
        return command;
    }

    /// <summary>Parses <c>KEY:HOST[:PORTS]</c>; an IPv6 host or block goes in brackets.</summary>
    public static TargetRule ParseAllow(string value)
    {
        (ConfigNode key, string? rest) = HostOptions.SplitKey("--allow", value);
        ConfigNode whole = HostOptions.Node("--allow", value);
        if (string.IsNullOrEmpty(rest))
        {
            throw whole.Error($"'{value}' names no host: write KEY:HOST[:PORTS], e.g. KEY:localhost:22");
        }

        string hostText;
        string portsText = "*";
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw whole.Error($"'{value}': the '[' of an IPv6 host is not closed");
            }

            hostText = rest[1..close];
            string after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                portsText = after.StartsWith(':') ? after[1..] : throw whole.Error($"'{value}': expected ':PORTS' after the IPv6 host");
            }
        }
        else
        {
            string[] parts = rest.Split(':');
            switch (parts.Length)
            {
                case 1:
                    hostText = parts[0];
                    break;
                case 2:
                    (hostText, portsText) = (parts[0], parts[1]);
                    break;
                default:
                    throw whole.Error($"'{value}': too many ':' — write an IPv6 host in brackets, e.g. KEY:[::1]:22");
            }
        }

        return new TargetRule(ConfigLoader.Keys(key), ConfigLoader.HostPatternOf(HostOptions.Node("--allow", hostText)), ConfigLoader.Ports(HostOptions.Node("--allow", portsText)));
    }
}
