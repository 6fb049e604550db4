using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Weft.Testing;

namespace Weft.Cli.Tests.Support;

/// <summary>
/// The built <c>weft</c> run as a real process, as a user runs it: either to completion
/// (<see cref="RunAsync"/>) or as a long-running process whose output lines can be awaited and which can
/// be sent signals (<see cref="Start"/>).
/// </summary>
public sealed partial class WeftProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly Lock _lock = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _waiters = [];
    private readonly Task _readingOut;
    private readonly Task _readingErr;

    private WeftProcess(Process process)
    {
        _process = process;
        _readingOut = PumpAsync(process.StandardOutput, _output);
        _readingErr = PumpAsync(process.StandardError, _error);
    }

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_lock)
            {
                return _error.ToString();
            }
        }
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        // Through env(1) with SIGINT back at its default: a runner started in the background by a
        // non-interactive shell ignores SIGINT, every child inherits that, and .NET (as Unix programs
        // should) keeps ignoring it, so the Ctrl-C tests would wait forever.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "weft.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // weft's own default for socket completions, whatever the test runner's environment says; a test may set it.
        start.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        return start;
    }

    /// <summary>Runs weft to completion under a timeout; kills it if the timeout passes.</summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args, string? workingDirectory = null, double timeoutSeconds = 90, IDictionary<string, string>? environment = null)
    {
        await using WeftProcess process = Start(args, workingDirectory, environment);
        int exit = await process.WaitForExitAsync(timeoutSeconds);
        return (exit, process.Output, process.Error);
    }

    public static WeftProcess Start(string[] args, string? workingDirectory = null, IDictionary<string, string>? environment = null) =>
        new(Process.Start(StartInfo(args, workingDirectory, environment))!);

    /// <summary>Waits for a line of standard output or error matching <paramref name="pattern"/>.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, double timeoutSeconds = 60)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline);
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            Match existing = regex.Match(_output.ToString() + "\n" + _error.ToString());
            if (existing.Success)
            {
                return existing;
            }

            _waiters.Add((regex, found));
        }

        using CancellationTokenSource timeout = TestTimeout.Create(timeoutSeconds);
        Task exited = _process.WaitForExitAsync(timeout.Token);
        Task first = await Task.WhenAny(found.Task, exited, Task.Delay(Timeout.Infinite, timeout.Token));
        if (first == found.Task)
        {
            return await found.Task;
        }

        // Give the pumps a moment to deliver the last lines of an exited process.
        await Task.WhenAny(found.Task, Task.Delay(500, TestContext.Current.CancellationToken));
        if (found.Task.IsCompleted)
        {
            return await found.Task;
        }

        throw new TimeoutException($"weft did not print /{pattern}/ ({(_process.HasExited ? $"it exited with {_process.ExitCode}" : "timeout")})\nstdout:\n{Output}\nstderr:\n{Error}");
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async Task<int> WaitForExitAsync(double timeoutSeconds = 60)
    {
        using CancellationTokenSource timeout = TestTimeout.Create(timeoutSeconds);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"weft did not exit within {timeoutSeconds} s\nstdout:\n{Output}\nstderr:\n{Error}");
        }

        await Task.WhenAll(_readingOut, _readingErr);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        await Task.WhenAll(_readingOut, _readingErr);
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            lock (_lock)
            {
                into.Append(line).Append('\n');
                string all = _output.ToString() + "\n" + _error.ToString();
                for (int i = _waiters.Count - 1; i >= 0; i--)
                {
                    Match m = _waiters[i].Pattern.Match(all);
                    if (m.Success)
                    {
                        _waiters[i].Found.TrySetResult(m);
                        _waiters.RemoveAt(i);
                    }
                }
            }
        }
    }
}
