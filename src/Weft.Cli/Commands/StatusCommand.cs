using System.CommandLine;
using System.Text;
using System.Text.Json;
using Weft.Cli.Control;

namespace Weft.Cli.Commands;

/// <summary><c>weft status</c>: sessions, streams, bytes and RTT of a running weft, read from its control socket.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var control = new Option<string?>("--control")
        {
            Description = "The control socket of the process to ask (printed as 'control: PATH' when it started) [default: every weft-*.sock in $WEFT_CONTROL_DIR, else $XDG_RUNTIME_DIR/weft, else ~/.weft/run]",
            HelpName = "path",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print the status document as JSON (the format is in docs/cli.md), for scripts",
        };
        var command = new Command("status", """
            Shows what a running weft is doing: per role, the listen addresses, every session (peer key,
            state, round-trip time, streams, bytes, since when) and every forward (bound address, open
            and total connections, refusals, bytes each way). It reads the process's control socket, which
            only its owner can open.

            Examples:
              weft status                                          every weft of this user
              weft status --control /run/user/1000/weft/weft-4242.sock
              weft status --json | jq '.roles[].sessions[].rttMs'
              curl --unix-socket /run/user/1000/weft/weft-4242.sock http://weft/status
            """);
        command.Options.Add(control);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            List<string> paths;
            if (parse.GetValue(control) is { } path)
            {
                paths = [path];
            }
            else
            {
                string dir = DefaultPaths.ControlDirectory;
                paths = Directory.Exists(dir) ? Directory.GetFiles(dir, "weft-*.sock").Order(StringComparer.Ordinal).ToList() : [];
                var live = new List<string>();
                foreach (string p in paths)
                {
                    if (await ControlServer.IsAliveAsync(p, cancellationToken).ConfigureAwait(false))
                    {
                        live.Add(p);
                    }
                }

                paths = live;
                if (paths.Count == 0)
                {
                    await Console.Error.WriteLineAsync($"weft status: no running weft found in {dir}; start one, or give --control PATH (its 'control:' line)").ConfigureAwait(false);
                    return 1;
                }

                if (paths.Count > 1 && parse.GetValue(json))
                {
                    await Console.Error.WriteLineAsync($"weft status: {paths.Count} running weft processes; choose one with --control: {string.Join(", ", paths)}").ConfigureAwait(false);
                    return 1;
                }
            }

            int exit = 0;
            for (int i = 0; i < paths.Count; i++)
            {
                byte[] body;
                try
                {
                    body = await ControlClient.GetStatusAsync(paths[i], cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    await Console.Error.WriteLineAsync($"weft status: {e.Message}").ConfigureAwait(false);
                    exit = 1;
                    continue;
                }

                if (parse.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(Encoding.UTF8.GetString(body)).ConfigureAwait(false);
                    continue;
                }

                StatusDocument? document;
                try
                {
                    document = StatusDocument.Parse(body);
                }
                catch (JsonException e)
                {
                    await Console.Error.WriteLineAsync($"weft status: '{paths[i]}' answered something that is not a weft status ({e.Message})").ConfigureAwait(false);
                    exit = 1;
                    continue;
                }

                if (document is null)
                {
                    exit = 1;
                    continue;
                }

                if (i > 0)
                {
                    await Console.Out.WriteLineAsync().ConfigureAwait(false);
                }

                StatusPrinter.Print(document, Console.Out);
            }

            return exit;
        });
        return command;
    }
}
