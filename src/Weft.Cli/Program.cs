using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Weft.Cli.Commands;
using Weft.Cli.Hosting;

namespace Weft.Cli;

/// <summary>The <c>weft</c> command line: composition root only.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> Main(string[] args)
    {
        // Before any socket exists: the runtime reads the setting once, when its socket engine starts.
        SocketCompletions.Configure();
        RootCommand root = CreateRoot();

        // Long-running commands handle Ctrl-C and SIGTERM themselves (Hosting/ShutdownSignal): first = clean stop, second = force.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
    }

    /// <summary>The root command with every subcommand.</summary>
    /// <returns>The command tree.</returns>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("""
            Weft: secure tunnels and stream multiplexing. A relay meets server agents (which dial out, so
            they need no open port) and client agents (which forward local ports, SOCKS5 and UDP to targets
            near a server agent). Every link is authenticated by Ed25519 keys and encrypted.

            Examples:
              weft demo                                               the whole chain on loopback, verified
              weft keygen                                             make this machine's identity
              weft relay --server SKEY:office --client CKEY:office     on a public host
              weft serve --name office --relay net:relay.example.com:7000~noise:RELAYKEY --allow CKEY:localhost:22
              weft connect net:relay.example.com:7000~noise:RELAYKEY -s office -L 2222:localhost:22
              weft up -c weft.yaml                                    any set of roles from one file
              weft status                                             sessions, streams, bytes, RTT

            Documentation: docs/cli.md
            """);
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(KeygenCommand.Create());
        root.Subcommands.Add(RelayCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ConnectCommand.Create());
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());

        // The root's command list shows each command's first paragraph; a command's own --help shows all of it.
        foreach (Option option in root.Options)
        {
            if (option is HelpOption { Action: SynchronousCommandLineAction standard } help)
            {
                help.Action = new WeftHelpAction(root, standard);
            }
        }

        return root;
    }
}
