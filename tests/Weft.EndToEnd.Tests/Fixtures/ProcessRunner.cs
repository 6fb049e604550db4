using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// A real program started without a shell, whose stdout and stderr are captured line by line so a test
/// can wait for a line ("listening …", "session up …") instead of sleeping. Disposing kills the whole
/// process tree and waits for it. No xunit dependency: the benchmark links this file too.
/// </summary>
public sealed partial class ProcessRunner : IAsyncDisposable
{
    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<OutputLine> _lines = [];
    private readonly List<Waiter> _waiters = [];
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private int _exitCode = -1;

    private ProcessRunner(string name, ProcessStartInfo start)
    {
        Name = name;
        CommandLine = start.FileName + " " + string.Join(' ', start.ArgumentList.Select(Quote));
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {CommandLine}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start {CommandLine}: {e.Message}. Is it installed? (scripts/install-deps.sh installs every tool the tests run)", e);
        }

        Started = DateTime.UtcNow;
        _stdoutPump = PumpAsync(_process.StandardOutput, isError: false);
        _stderrPump = PumpAsync(_process.StandardError, isError: true);
        _ = Task.WhenAll(_stdoutPump, _stderrPump).ContinueWith(
            _ =>
            {
                _ended.TrySetResult();
                FailWaiters();
            },
            TaskScheduler.Default);
    }

    /// <summary>A short name for messages (e.g. "relay", "sshd").</summary>
    public string Name { get; }

    /// <summary>The command line, for messages.</summary>
    public string CommandLine { get; }

    /// <summary>When the process was started (UTC).</summary>
    public DateTime Started { get; }

    /// <summary>The OS process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited (always true after dispose).</summary>
    public bool HasExited => Volatile.Read(ref _disposed) != 0 || _process.HasExited;

    /// <summary>The exit code (only once <see cref="HasExited"/>; -1 when it was killed by dispose).</summary>
    public int ExitCode => Volatile.Read(ref _disposed) != 0 ? _exitCode : _process.ExitCode;

    /// <summary>How many lines (stdout and stderr together) have arrived so far.</summary>
    public int LineCount
    {
        get { lock (_gate) { return _lines.Count; } }
    }

    /// <summary>Everything printed so far, stdout and stderr interleaved in arrival order, stderr lines prefixed "! ".</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                var text = new StringBuilder();
                foreach (OutputLine line in _lines)
                {
                    text.Append(line.IsError ? "! " : string.Empty).AppendLine(line.Text);
                }

                return text.ToString();
            }
        }
    }

    /// <summary>Only what was printed on stdout so far.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines.Where(l => !l.IsError).Select(l => l.Text));
            }
        }
    }

    /// <summary>Only what was printed on stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines.Where(l => l.IsError).Select(l => l.Text));
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/> (no shell).</summary>
    /// <param name="name">A short name for messages.</param>
    /// <param name="fileName">The executable.</param>
    /// <param name="arguments">Its arguments, passed as they are.</param>
    /// <param name="environment">Extra environment variables (null values remove a variable).</param>
    /// <param name="workingDirectory">The working directory; the current one when null.</param>
    /// <returns>The running process.</returns>
    public static ProcessRunner Start(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            CreateNoWindow = true,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach ((string key, string? value) in environment)
            {
                if (value is null)
                {
                    start.Environment.Remove(key);
                }
                else
                {
                    start.Environment[key] = value;
                }
            }
        }

        return new ProcessRunner(name, start);
    }

    /// <summary>
    /// Waits for a line (stdout or stderr) matching <paramref name="pattern"/> among the lines from
    /// index <paramref name="fromLine"/> on (lines already received count). Fails at once, with the
    /// output, if the process ends first.
    /// </summary>
    /// <param name="pattern">What to look for.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="fromLine">Ignore lines before this index (see <see cref="LineCount"/>), e.g. those before a restart.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The match.</returns>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, int fromLine = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var waiter = new Waiter(pattern, new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            for (int i = fromLine; i < _lines.Count; i++)
            {
                Match match = pattern.Match(_lines[i].Text);
                if (match.Success)
                {
                    return match;
                }
            }

            if (_ended.Task.IsCompleted)
            {
                throw new InvalidOperationException($"{Name} has ended without printing a line matching /{pattern}/.\n{Diagnostics()}");
            }

            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Result.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{Name} printed no line matching /{pattern}/ within {timeout.TotalSeconds:0.#} s.\n{Diagnostics()}", e);
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>True when some line from <paramref name="fromLine"/> on matches <paramref name="pattern"/>.</summary>
    /// <param name="pattern">What to look for.</param>
    /// <param name="fromLine">First line index to consider.</param>
    /// <returns>Whether a line matched.</returns>
    public bool HasLine(Regex pattern, int fromLine = 0)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        lock (_gate)
        {
            for (int i = fromLine; i < _lines.Count; i++)
            {
                if (pattern.IsMatch(_lines[i].Text))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Waits for the process to exit and its output to be read; returns the exit code.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The exit code.</returns>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            await _ended.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0.#} s.\n{Diagnostics()}", e);
        }

        return _process.ExitCode;
    }

    /// <summary>Closes the process's standard input.</summary>
    public void CloseStandardInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Sends a POSIX signal to the process (not its children), e.g. 2 = SIGINT (Ctrl-C), 15 = SIGTERM.</summary>
    /// <param name="signal">The signal number.</param>
    public void Signal(int signal)
    {
        if (!HasExited && SysKill(_process.Id, signal) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (!_process.HasExited)
            {
                throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {errno.ToString(CultureInfo.InvariantCulture)}.");
            }
        }
    }

    /// <summary>Kills the whole process tree at once (SIGKILL: no chance to clean up, like a crash or a power cut) and waits for it.</summary>
    /// <param name="timeout">How long to wait for the exit.</param>
    /// <returns>A task that completes when the process has exited.</returns>
    public async Task KillAsync(TimeSpan? timeout = null)
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            await _ended.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Exited and reaped already.
        }
        catch (TimeoutException)
        {
            // Best effort: a process that does not die even for SIGKILL is beyond a test's reach.
        }
    }

    /// <summary>The command, state and the last lines of output, for failure messages.</summary>
    /// <returns>A multi-line description.</returns>
    public string Diagnostics()
    {
        string state = HasExited ? "exited with " + ExitCode.ToString(CultureInfo.InvariantCulture) : "running";
        return $"[{Name}] command: {CommandLine}\n[{Name}] state: {state}\n[{Name}] output (tail):\n{Tail(Output, 6000)}";
    }

    /// <summary>Kills the process tree (if still running) and releases it. Idempotent.</summary>
    /// <returns>A task that completes when the process is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        CloseStandardInput();
        await KillAsync().ConfigureAwait(false);
        lock (_gate)
        {
            foreach (Waiter waiter in _waiters)
            {
                waiter.Result.TrySetException(new ObjectDisposedException(Name));
            }

            _waiters.Clear();
        }

        try
        {
            _exitCode = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            // Never started or not reaped: keep -1.
        }

        _process.Dispose();
    }

    internal static string Tail(string text, int max) => text.Length <= max ? text : "…" + text[^max..];

    private static string Quote(string argument) => argument.Length > 0 && !argument.Any(char.IsWhiteSpace) ? argument : "'" + argument + "'";

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    private async Task PumpAsync(StreamReader reader, bool isError)
    {
        await Task.Yield();
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } text)
            {
                List<(TaskCompletionSource<Match> Result, Match Match)> matched = [];
                lock (_gate)
                {
                    _lines.Add(new OutputLine(text, isError));
                    foreach (Waiter waiter in _waiters)
                    {
                        Match match = waiter.Pattern.Match(text);
                        if (match.Success)
                        {
                            matched.Add((waiter.Result, match));
                        }
                    }
                }

                foreach ((TaskCompletionSource<Match> result, Match match) in matched)
                {
                    result.TrySetResult(match);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe broke as the process died; what was read is kept.
        }
    }

    private void FailWaiters()
    {
        lock (_gate)
        {
            foreach (Waiter waiter in _waiters)
            {
                waiter.Result.TrySetException(new InvalidOperationException($"{Name} has ended without printing a line matching /{waiter.Pattern}/.\n{Diagnostics()}"));
            }
        }
    }

    private readonly record struct OutputLine(string Text, bool IsError);

    private sealed record Waiter(Regex Pattern, TaskCompletionSource<Match> Result);
}
