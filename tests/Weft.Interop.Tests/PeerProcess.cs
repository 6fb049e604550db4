using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Weft.Interop.Tests;

/// <summary>The outcome of a peer that ran to completion (a client, rtt or openclose run).</summary>
/// <param name="Program">The peer that ran.</param>
/// <param name="ExitCode">Its exit code (0 iff it reported <c>"ok":true</c>).</param>
/// <param name="Json">The last JSON object it printed, or <c>null</c> if it printed none.</param>
/// <param name="StandardOutput">Everything it wrote to stdout.</param>
/// <param name="StandardError">Everything it wrote to stderr.</param>
public sealed record PeerResult(PeerProgram Program, int ExitCode, JsonElement? Json, string StandardOutput, string StandardError)
{
    /// <summary>True when the peer exited 0 and reported <c>"ok":true</c>.</summary>
    public bool Ok => ExitCode == 0 && Json is { } j && j.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True;

    /// <summary>The peer's <c>"error"</c> text, if any.</summary>
    public string? Error => Json is { } j && j.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    /// <summary>A numeric field of the result (e.g. <c>"mbps"</c>, <c>"p50_us"</c>).</summary>
    public double Number(string name) => Json is { } j && j.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
        ? v.GetDouble()
        : throw new KeyNotFoundException($"{Program.Name} result has no number '{name}': {Json}");

    /// <summary>Throws with the peer's JSON and stderr unless <see cref="Ok"/>.</summary>
    public PeerResult EnsureOk()
    {
        if (!Ok)
        {
            throw new InvalidOperationException(Describe("failed"));
        }
        return this;
    }

    /// <summary>A multi-line description for assertion messages.</summary>
    public string Describe(string what) =>
        $"{Program.Name} {what} (exit {ExitCode}).\nresult: {Json?.GetRawText() ?? "<no JSON>"}\nstderr (tail):\n{PeerProcess.Tail(StandardError, 4000)}";
}

/// <summary>
/// A running peer program from <c>interop/</c>: started without a shell, stdout parsed line by line
/// (the <c>listening HOST:PORT</c> line, then one JSON object per line), stderr captured for failure
/// messages. Disposing closes its stdin (servers exit on stdin EOF) and kills the whole process tree.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_defaultStartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<JsonElement> _events = [];
    private readonly List<(Func<JsonElement, bool> Predicate, TaskCompletionSource<JsonElement> Tcs)> _waiters = [];
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private int _disposed;

    private PeerProcess(PeerProgram program, IReadOnlyList<string> arguments)
    {
        Program = program;
        var psi = new ProcessStartInfo(program.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = PeerPrograms.RepoRoot,
            CreateNoWindow = true,
        };
        foreach (var a in program.Arguments(arguments))
        {
            psi.ArgumentList.Add(a);
        }
        CommandLine = program.FileName + " " + string.Join(' ', program.Arguments(arguments));
        try
        {
            _process = Process.Start(psi) ?? throw new PeerMissingException($"Could not start {CommandLine}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PeerMissingException($"Could not start {CommandLine}: {e.Message}. Run `sudo scripts/install-deps.sh`.", e);
        }
        _stdoutPump = Task.Run(PumpStdoutAsync);
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    /// <summary>The peer this process runs.</summary>
    public PeerProgram Program { get; }

    /// <summary>The command line, for messages.</summary>
    public string CommandLine { get; }

    /// <summary>The OS process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The endpoint from the <c>listening HOST:PORT</c> line (only after <see cref="WaitForListeningAsync"/>).</summary>
    public IPEndPoint Endpoint => _listening.Task.IsCompletedSuccessfully
        ? _listening.Task.Result
        : throw new InvalidOperationException($"{Program.Name} has not reported a listening endpoint yet.");

    /// <summary>The endpoint as <c>HOST:PORT</c>, ready for <c>--connect</c>.</summary>
    public string EndpointText => Endpoint.ToString();

    /// <summary>Everything written to stderr so far.</summary>
    public string StandardError
    {
        get { lock (_gate) { return _stderr.ToString(); } }
    }

    /// <summary>Everything written to stdout so far.</summary>
    public string StandardOutput
    {
        get { lock (_gate) { return _stdout.ToString(); } }
    }

    /// <summary>A snapshot of the JSON objects printed so far, in order.</summary>
    public IReadOnlyList<JsonElement> Events
    {
        get { lock (_gate) { return [.. _events]; } }
    }

    /// <summary>Starts a peer with arbitrary CLI arguments.</summary>
    public static PeerProcess Start(PeerProgram program, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(arguments);
        return new PeerProcess(program, [.. arguments]);
    }

    /// <summary>
    /// Starts <c>PEER server --listen 127.0.0.1:0 [extra]</c> and waits for its endpoint.
    /// E.g. <c>extraArguments: ["--reset-after", "65536"]</c>.
    /// </summary>
    public static async Task<PeerProcess> StartServerAsync(
        PeerProgram program, IEnumerable<string>? extraArguments = null, TimeSpan? startTimeout = null, CancellationToken cancellationToken = default)
    {
        var peer = Start(program, ["server", "--listen", "127.0.0.1:0", .. extraArguments ?? []]);
        try
        {
            await peer.WaitForListeningAsync(startTimeout ?? s_defaultStartTimeout, cancellationToken);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for the <c>listening HOST:PORT</c> line.</summary>
    public async Task<IPEndPoint> WaitForListeningAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _listening.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{Program.Name} did not print 'listening HOST:PORT' within {timeout}.\n{Diagnostics()}", e);
        }
    }

    /// <summary>
    /// Waits for a JSON line matching <paramref name="predicate"/>, including lines already received.
    /// Fails early if the process exits first.
    /// </summary>
    public async Task<JsonElement> WaitForEventAsync(Func<JsonElement, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var e in _events)
            {
                if (predicate(e))
                {
                    return e;
                }
            }
            if (_stdoutPump.IsCompleted)
            {
                throw new InvalidOperationException($"{Program.Name} has exited; no matching event.\n{Diagnostics()}");
            }
            _waiters.Add((predicate, tcs));
        }
        try
        {
            return await tcs.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"No matching event from {Program.Name} within {timeout}.\n{Diagnostics()}", e);
        }
        finally
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Tcs == tcs);
            }
        }
    }

    /// <summary>Waits for the <c>{"event":"stream",...}</c> line of stream <paramref name="streamId"/>.</summary>
    public Task<JsonElement> WaitForStreamEventAsync(long streamId, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForEventAsync(
            e => e.TryGetProperty("event", out var ev) && ev.ValueEquals("stream")
                && e.TryGetProperty("id", out var id) && id.TryGetInt64(out var v) && v == streamId,
            timeout, cancellationToken);

    /// <summary>Waits for the process to exit (e.g. a client) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{Program.Name} did not exit within {timeout}.\n{Diagnostics()}", e);
        }
        // Let the pumps drain what the process wrote before exiting.
        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>Runs a peer to completion (client / rtt / openclose) and returns its parsed JSON result.</summary>
    public static async Task<PeerResult> RunAsync(
        PeerProgram program, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await using var peer = Start(program, arguments);
        peer._process.StandardInput.Close(); // clients read nothing
        var exit = await peer.WaitForExitAsync(timeout, cancellationToken);
        var events = peer.Events;
        return new PeerResult(program, exit, events.Count > 0 ? events[^1] : null, peer.StandardOutput, peer.StandardError);
    }

    /// <summary><c>PEER client --connect EP --streams N --bytes B</c>; the peer's own timeout is set just below <paramref name="timeout"/>.</summary>
    public static Task<PeerResult> RunClientAsync(
        PeerProgram program, string connect, int streams, long bytes, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        RunAsync(program, ["client", "--connect", connect, "--streams", Inv(streams), "--bytes", Inv(bytes), .. PeerTimeout(timeout)],
            timeout + TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary><c>PEER rtt --connect EP --count K --size S</c>.</summary>
    public static Task<PeerResult> RunRttAsync(
        PeerProgram program, string connect, int count, int size, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        RunAsync(program, ["rtt", "--connect", connect, "--count", Inv(count), "--size", Inv(size), .. PeerTimeout(timeout)],
            timeout + TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary><c>PEER openclose --connect EP --count K</c>.</summary>
    public static Task<PeerResult> RunOpenCloseAsync(
        PeerProgram program, string connect, int count, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        RunAsync(program, ["openclose", "--connect", connect, "--count", Inv(count), .. PeerTimeout(timeout)],
            timeout + TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary>Closes stdin, then kills the whole process tree if it is still running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // already gone
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (InvalidOperationException)
        {
            // process already exited and was reaped
        }
        catch (TimeoutException)
        {
            // best effort; nothing more we can do
        }
        finally
        {
            lock (_gate)
            {
                foreach (var w in _waiters)
                {
                    w.Tcs.TrySetException(new ObjectDisposedException(nameof(PeerProcess)));
                }
                _waiters.Clear();
            }
            _listening.TrySetException(new ObjectDisposedException(nameof(PeerProcess)));
            _process.Dispose();
        }
    }

    /// <summary>The command line, exit state and stderr tail, for failure messages.</summary>
    public string Diagnostics()
    {
        var state = _process.HasExited ? "exited with " + _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "running";
        return $"command: {CommandLine}\nstate: {state}\nstdout (tail):\n{Tail(StandardOutput, 2000)}\nstderr (tail):\n{Tail(StandardError, 4000)}";
    }

    internal static string Tail(string text, int max) => text.Length <= max ? text : "..." + text[^max..];

    private static string Inv(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string[] PeerTimeout(TimeSpan timeout) =>
        ["--timeout", Math.Max(1, timeout.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture)];

    private async Task PumpStdoutAsync()
    {
        var reader = _process.StandardOutput;
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_gate)
            {
                _stdout.AppendLine(line);
            }
            if (line.StartsWith("listening ", StringComparison.Ordinal))
            {
                if (IPEndPoint.TryParse(line["listening ".Length..].Trim(), out var ep))
                {
                    _listening.TrySetResult(ep);
                }
                else
                {
                    _listening.TrySetException(new FormatException($"{Program.Name} printed a bad listening line: {line}"));
                }
                continue;
            }
            if (!line.StartsWith('{'))
            {
                continue;
            }
            JsonElement element;
            try
            {
                using var doc = JsonDocument.Parse(line);
                element = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                continue; // kept in StandardOutput for diagnostics
            }
            List<TaskCompletionSource<JsonElement>> matched = [];
            lock (_gate)
            {
                _events.Add(element);
                foreach (var w in _waiters)
                {
                    if (w.Predicate(element))
                    {
                        matched.Add(w.Tcs);
                    }
                }
            }
            foreach (var tcs in matched)
            {
                tcs.TrySetResult(element);
            }
        }
        // stdout closed: the process is ending.
        _listening.TrySetException(new InvalidOperationException(
            $"{Program.Name} ended without printing 'listening HOST:PORT'.\n{Diagnostics()}"));
        lock (_gate)
        {
            foreach (var w in _waiters)
            {
                w.Tcs.TrySetException(new InvalidOperationException($"{Program.Name} has exited; no matching event.\n{Diagnostics()}"));
            }
        }
    }

    private async Task PumpStderrAsync()
    {
        var reader = _process.StandardError;
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory())) > 0)
        {
            lock (_gate)
            {
                _stderr.Append(buffer, 0, n);
            }
        }
    }
}
