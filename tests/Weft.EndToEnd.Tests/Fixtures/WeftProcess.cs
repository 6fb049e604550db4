using System.Net;
using System.Text.RegularExpressions;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// A real <c>weft</c> process (<c>dotnet weft.dll …</c>, the build next to this assembly), as a user
/// runs it. Waits for the parseable "listening" lines the CLI prints for each listener, and kills the
/// process tree on dispose.
/// </summary>
public sealed partial class WeftProcess : IAsyncDisposable
{
    private WeftProcess(string name, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        Name = name;
        Arguments = arguments;
        Environment = environment;
        Runner = ProcessRunner.Start(name, "dotnet", [WeftDll, .. arguments], environment);
    }

    /// <summary>
    /// The path of <c>weft.dll</c>: the environment variable <c>WEFT_DLL</c> when set (to test another
    /// build), else the one next to the running assembly (the test or benchmark build references the CLI).
    /// </summary>
    public static string WeftDll
    {
        get
        {
            string path = System.Environment.GetEnvironmentVariable("WEFT_DLL") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "weft.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"weft.dll is not next to {AppContext.BaseDirectory}; the project must reference src/Weft.Cli.", path);
        }
    }

    /// <summary>A short name for messages ("relay", "server agent", …).</summary>
    public string Name { get; }

    /// <summary>The arguments after <c>weft.dll</c>.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The extra environment variables it was started with.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; }

    /// <summary>The process and its output.</summary>
    public ProcessRunner Runner { get; }

    /// <summary>Starts <c>weft ARGS</c>.</summary>
    /// <param name="name">A short name for messages.</param>
    /// <param name="arguments">The command line after <c>weft</c>.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <returns>The running process.</returns>
    public static WeftProcess Start(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        new(name, [.. arguments], environment);

    /// <summary>Starts the same command again (a restart after a kill), with a fresh output capture.</summary>
    /// <returns>The new process.</returns>
    public WeftProcess Restart() => new(Name, Arguments, Environment);

    /// <summary>
    /// Waits for a "listening" line whose text matches <paramref name="label"/> (null: any) and returns
    /// the endpoint it names (<c>127.0.0.1:PORT</c> or <c>[::1]:PORT</c>).
    /// </summary>
    /// <param name="label">A regular expression the line must also match (e.g. "relay", "-L").</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The endpoint.</returns>
    public async Task<IPEndPoint> WaitForListeningAsync(string? label, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Match match = await Runner.WaitForLineAsync(ListeningPattern(label), timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        return IPEndPoint.Parse(match.Groups["ep"].Value);
    }

    /// <summary>The regular expression for a "listening" line that also matches <paramref name="label"/>; group "ep" is the endpoint.</summary>
    /// <param name="label">A regular expression the line must also match, or null.</param>
    /// <returns>The pattern.</returns>
    public static Regex ListeningPattern(string? label) =>
        new(label is null ? ListeningLine().ToString() : $"^(?=.*(?:{label})).*?{ListeningLine()}");

    /// <summary>Kills the process tree.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public ValueTask DisposeAsync() => Runner.DisposeAsync();

    [GeneratedRegex(@"\blistening\b.*?(?<ep>(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:]+\]):\d{1,5})\b")]
    private static partial Regex ListeningLine();
}
