using System.CommandLine;
using System.CommandLine.Invocation;

namespace Weft.Cli.Commands;

/// <summary>
/// The root's help lists each command with the first paragraph of its description (System.CommandLine
/// would print every command's whole description, examples included); a command's own <c>--help</c>
/// keeps the standard layout with everything.
/// </summary>
internal sealed class WeftHelpAction(RootCommand root, SynchronousCommandLineAction standard) : SynchronousCommandLineAction
{
    private static readonly Dictionary<string, string> s_summaries = new(StringComparer.Ordinal)
    {
        ["demo"] = "Run a relay, both agents, a target and clients on loopback; verify every byte",
        ["keygen"] = "Write an Ed25519 identity file (mode 600) and print its public id",
        ["relay"] = "Run a relay: the public meeting point of server and client agents",
        ["serve"] = "Run a server agent: dial out to relays, reach targets on this network",
        ["connect"] = "Run a client agent: -L/-R/-D/-U forwards through a relay (or directly)",
        ["up"] = "Run any set of roles from one YAML file (-c weft.yaml)",
        ["status"] = "Show sessions, streams, bytes and RTT of a running weft",
    };

    public override int Invoke(ParseResult parseResult)
    {
        if (parseResult.CommandResult.Command != root)
        {
            return standard.Invoke(parseResult);
        }

        TextWriter o = parseResult.InvocationConfiguration.Output;
        o.WriteLine("Description:");
        foreach (string line in (root.Description ?? string.Empty).ReplaceLineEndings("\n").Split('\n'))
        {
            o.WriteLine(("  " + line).TrimEnd());
        }

        o.WriteLine();
        o.WriteLine("Usage:");
        o.WriteLine("  weft [command] [options]");
        o.WriteLine();
        o.WriteLine("Options:");
        o.WriteLine("  -?, -h, --help  Show help and usage information (also after any command: weft connect --help)");
        o.WriteLine("  --version       Show version information");
        o.WriteLine();
        o.WriteLine("Commands:");
        int width = root.Subcommands.Max(c => c.Name.Length) + 2;
        foreach (Command command in root.Subcommands)
        {
            string summary = s_summaries.TryGetValue(command.Name, out string? known)
                ? known
                : (command.Description ?? string.Empty).ReplaceLineEndings("\n").Split("\n\n", 2)[0].Replace('\n', ' ');
            o.WriteLine($"  {command.Name.PadRight(width)}{summary}");
        }

        return 0;
    }
}
