using System.CommandLine;
using Weft.Cli.Commands;

namespace Weft.Cli;

/// <summary>The <c>weft</c> command line: composition root only.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("""
            Weft: secure tunnels and stream multiplexing (yamux) for .NET.

            Examples:
              weft demo                              run the whole chain on loopback and verify it
              weft demo --streams 256 --bytes 1MiB   more, smaller streams
            """);
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(KeygenCommand.Create());
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
