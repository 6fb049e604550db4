using System.CommandLine;
using Weft.Cli.Config;

namespace Weft.Cli.Commands;

/// <summary><c>weft up -c weft.yaml</c>: runs any set of roles from one configuration file.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var host = new HostOptions();
        var config = new Option<string>("--config", "-c")
        {
            Description = "The configuration file (schema and a full example: docs/cli.md, docs/examples/weft.yaml)",
            DefaultValueFactory = _ => "weft.yaml",
            HelpName = "path",
        };
        var check = new Option<bool>("--check")
        {
            Description = "Only check the file (and that the identity files load), print what would run, and exit: 0 when valid, 2 when not",
        };
        var command = new Command("up", """
            Runs every role a configuration file describes — a relay, server agents, client agents, in any
            combination — in one process. Errors name the file, line and key. The command-line logging and
            control options override the file's.

            Examples:
              weft up                                   reads ./weft.yaml
              weft up -c /etc/weft/relay.yaml
              weft up -c weft.yaml --check              validate only
              weft up -c weft.yaml --log-format json --log-level debug
            """);
        command.Options.Add(config);
        command.Options.Add(check);
        host.AddTo(command, withIdentity: false);
        command.SetAction(async (parse, _) =>
        {
            string path = parse.GetValue(config)!;
            if (parse.GetValue(check))
            {
                try
                {
                    WeftConfig loaded = host.Apply(parse, ConfigLoader.LoadFile(path));
                    foreach (IdentityRef identity in Identities(loaded))
                    {
                        identity.Load().Dispose();
                    }

                    await Console.Out.WriteLineAsync($"{path}: OK").ConfigureAwait(false);
                    foreach (string line in Describe(loaded))
                    {
                        await Console.Out.WriteLineAsync("  " + line).ConfigureAwait(false);
                    }

                    return 0;
                }
                catch (ConfigException e)
                {
                    await Console.Error.WriteLineAsync($"weft: {e.Message}").ConfigureAwait(false);
                    return 2;
                }
            }

            return await HostOptions.RunAsync(() => host.Apply(parse, ConfigLoader.LoadFile(path))).ConfigureAwait(false);
        });
        return command;
    }

    private static IEnumerable<IdentityRef> Identities(WeftConfig config) =>
        (config.Relay is { } r ? [r.Identity] : Array.Empty<IdentityRef>())
            .Concat(config.Servers.Select(s => s.Identity))
            .Concat(config.Clients.Select(c => c.Identity));

    /// <summary>One line per role: what would run.</summary>
    public static IEnumerable<string> Describe(WeftConfig config)
    {
        if (config.Relay is { } relay)
        {
            yield return $"relay: listen {string.Join(", ", relay.Listen)}; {relay.Acl.ServerNames.Count} server rule(s), {relay.Acl.Clients.Count} client rule(s), {relay.Acl.ReverseForwards.Count} reverse rule(s)";
        }

        foreach (ServerRole server in config.Servers)
        {
            string where = string.Join(", ", server.Relays.Select(r => "relay " + r).Concat(server.Listen.Select(l => "listen " + l)));
            yield return $"server {string.Join(",", server.Names)}: {where}; {server.Acl.Targets.Count} allow rule(s)";
        }

        foreach (ClientRole client in config.Clients)
        {
            string forwards = string.Join(", ", client.Forwards.Select(f => $"{Weft.Tunnel.Forwards.ForwardSpec.Option(f.Kind)} {f}"));
            yield return $"client: upstream {client.Upstream}{(client.DefaultServer is null ? string.Empty : $", server {client.DefaultServer}")}; forwards: {(forwards.Length == 0 ? "none" : forwards)}";
        }

        yield return $"control: {config.ControlSocket ?? "off"}; log: {config.LogLevel.ToString().ToLowerInvariant()}, {config.LogFormat.ToString().ToLowerInvariant()}; mux: {config.Mux.Dialect.Name}";
    }
}
