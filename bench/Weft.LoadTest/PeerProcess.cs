using System.Diagnostics;
using System.Text;

namespace Weft.LoadTest;

/// <summary>A peer program (server or client role) started by the harness, its output drained as it comes.</summary>
internal sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The program this process runs.</summary>
    public PeerCommand Command { get; }

    private PeerProcess(PeerCommand command, IEnumerable<string> args)
    {
        Command = command;
        var start = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in command.Prefix.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _listening.TrySetException(new IOException($"{command.Name} ended before listening: {Tail(_stderr)}"));
                return;
            }

            if (e.Data.StartsWith("listening ", StringComparison.Ordinal))
            {
                _listening.TrySetResult(e.Data["listening ".Length..].Trim());
            }
            else if (e.Data.StartsWith('{') && e.Data.Contains("\"op\"", StringComparison.Ordinal))
            {
                // Client results only; a server's per-stream lines are drained and dropped.
                lock (_stdout)
                {
                    _stdout.AppendLine(e.Data);
                }
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                    if (_stderr.Length > 8192)
                    {
                        _stderr.Remove(0, _stderr.Length - 4096);
                    }
                }
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts a server on an ephemeral loopback port and waits for its 'listening' line.</summary>
    public static async Task<(PeerProcess Server, string Address)> StartServerAsync(PeerCommand command)
    {
        var server = new PeerProcess(command, ["server", "--listen", "127.0.0.1:0"]);
        try
        {
            string address = await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(20));
            return (server, address);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Runs a client to the end and returns its result line.</summary>
    public static async Task<string> RunClientAsync(PeerCommand command, IEnumerable<string> args, TimeSpan timeout)
    {
        using var client = new PeerProcess(command, args);
        client._process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await client._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{command.Name} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s");
        }

        client._process.WaitForExit(); // flushes the asynchronous output readers
        string output;
        lock (client._stdout)
        {
            output = client._stdout.ToString();
        }

        string? line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return line ?? throw new IOException($"{command.Name} printed no result (exit {client._process.ExitCode}): {Tail(client._stderr)}");
    }

    /// <summary>Stops the peer: closes its standard input (the peers exit on EOF), then kills it if it lingers.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(3000))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(3000);
                }
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private static string Tail(StringBuilder text)
    {
        lock (text)
        {
            string s = text.ToString().Trim();
            return s.Length > 400 ? s[^400..] : s;
        }
    }
}
