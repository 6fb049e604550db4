using System.CommandLine;
using Weft.Cli.Config;
using Weft.Tunnel.Access;
using Weft.Tunnel.Forwards;

namespace Weft.Cli.Commands;

/// <summary><c>weft connect</c>: the client agent with its forwards.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var host = new HostOptions();
        var upstream = new Argument<string>("upstream")
        {
            Description = "The relay (or a server agent in direct mode) with its key: net:HOST:7000~noise:KEY",
        };
        var server = new Option<string?>("--server", "-s")
        {
            Description = "Server used by forwards that name none [default: none; then every forward must name one]",
            HelpName = "name",
        };
        var local = new Option<string[]>("-L")
        {
            Description = "[bind:]port:[server:]host:hostport — local TCP port to host:hostport as the server agent sees it; repeatable",
            HelpName = "spec",
        };
        var remote = new Option<string[]>("-R")
        {
            Description = "[bind:]port:host:hostport — a port on the relay (direct mode: on the server agent) that leads back to host:hostport near this agent; repeatable",
            HelpName = "spec",
        };
        var dynamic = new Option<string[]>("-D")
        {
            Description = "[bind:]port[:server] — local SOCKS5 server (CONNECT to IPv4, IPv6, names) exiting at the server agent; repeatable",
            HelpName = "spec",
        };
        var udp = new Option<string[]>("-U")
        {
            Description = "[bind:]port:[server:]host:hostport — local UDP port to UDP host:hostport as the server agent sees it; repeatable",
            HelpName = "spec",
        };
        var command = new Command("connect", """
            Runs a client agent: keeps a session to the relay (or a server agent in direct mode), replaces it
            when it breaks, and carries its forwards. Bind addresses default to 127.0.0.1; port 0 picks a free
            port. Local listeners stay up while the session is replaced; a connection that arrives with no
            session is reset at once (and the reason logged).

            Prints one parseable line per bound forward, e.g.
              listening: -L 127.0.0.1:40123 -> office:localhost:22
              listening: -D 127.0.0.1:1080 -> office (socks5)
              listening: -U 127.0.0.1:5353 -> office:10.0.0.1:53
              listening: -R 127.0.0.1:8080 (upstream) -> localhost:80
            then 'connected: client -> UPSTREAM (session N)' each time a session comes up, 'control: PATH'
            and 'ready: pid N'.

            Examples:
              weft connect net:relay.example.com:7000~noise:RELAYKEY -s office -L 2222:localhost:22
              weft connect net:relay.example.com:7000~noise:RELAYKEY -L 8080:office:intranet:80 -D 1080:office
              weft connect net:relay.example.com:7000~noise:RELAYKEY -s office -U 5353:10.0.0.1:53 -R 9000:localhost:3000
              weft connect net:lab.example.com:7001~noise:SERVERKEY -s lab -L 0:localhost:5432     (direct mode)
            """);
        command.Arguments.Add(upstream);
        command.Options.Add(server);
        command.Options.Add(local);
        command.Options.Add(remote);
        command.Options.Add(dynamic);
        command.Options.Add(udp);
        host.AddTo(command);
        command.SetAction((parse, _) => HostOptions.RunAsync(() =>
        {
            string? defaultServer = parse.GetValue(server);
            if (defaultServer is not null && !ServerName.IsValid(defaultServer))
            {
                throw HostOptions.Node("--server", defaultServer).Error($"'{defaultServer}' is not a server name (a-z, 0-9 and '-', starting with a letter)");
            }

            // Keep the order the user gave within each kind.
            var forwards = new List<ForwardSpec>();
            foreach ((Option<string[]> option, ForwardKind kind) in new[] { (local, ForwardKind.Local), (remote, ForwardKind.Remote), (dynamic, ForwardKind.Dynamic), (udp, ForwardKind.Udp) })
            {
                foreach (string value in parse.GetValue(option) ?? [])
                {
                    forwards.Add(ParseForward(kind, value, defaultServer));
                }
            }

            var role = new ClientRole
            {
                Identity = host.IdentityRef(parse),
                Upstream = ConfigLoader.DialAddresses(HostOptions.Node("upstream", parse.GetValue(upstream)!))[0],
                DefaultServer = defaultServer,
                Forwards = forwards,
            };
            return host.Apply(parse, new WeftConfig
            {
                Source = HostOptions.CommandLine,
                NetworkKey = host.NetworkKey(parse),
                ControlSocket = ConfigLoader.DefaultControlSocket(),
                Clients = [role],
            });
        }));
        return command;
    }

    /// <summary>Parses one forward option value, with the same checks as a config file's <c>forwards:</c>.</summary>
    public static ForwardSpec ParseForward(ForwardKind kind, string value, string? defaultServer)
    {
        ConfigNode node = HostOptions.Node(ForwardSpec.Option(kind), value);
        if (!ForwardSpec.TryParse(kind, value, out ForwardSpec? spec, out string? error))
        {
            throw node.Error(error);
        }

        if (spec.Kind != ForwardKind.Remote && spec.Server is null && defaultServer is null)
        {
            throw node.Error($"names no server and there is no --server default: write {ForwardSpec.Option(kind)} {ForwardSpec.Syntax(kind)}, or add --server NAME");
        }

        return spec;
    }
}
