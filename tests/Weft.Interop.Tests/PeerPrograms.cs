using System.Globalization;

namespace Weft.Interop.Tests;

/// <summary>A real-peer program from <c>interop/</c>: what to execute and the arguments that precede the CLI's own.</summary>
/// <param name="Name">Implementation name, as the program reports it in its JSON (<c>"impl"</c>).</param>
/// <param name="FileName">Executable to start (no shell is involved).</param>
/// <param name="PrefixArguments">Arguments placed before the subcommand (e.g. the script path for node).</param>
public sealed record PeerProgram(string Name, string FileName, IReadOnlyList<string> PrefixArguments)
{
    /// <summary>The full argument list for one invocation: prefix, then <paramref name="arguments"/>.</summary>
    public IReadOnlyList<string> Arguments(IEnumerable<string> arguments) => [.. PrefixArguments, .. arguments];

    public override string ToString() => Name;
}

/// <summary>Thrown when a peer program (or what it needs) is not installed. Tests must fail on it, not skip.</summary>
public sealed class PeerMissingException : Exception
{
    public PeerMissingException() { }

    public PeerMissingException(string message) : base(message) { }

    public PeerMissingException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Locates the interop peers (see <c>interop/README.md</c>). Every yamux peer implements the same CLI:
/// <c>server --listen HOST:PORT</c>, <c>client --connect HOST:PORT --streams N --bytes B</c>,
/// <c>rtt --connect HOST:PORT --count K --size S</c>, <c>openclose --connect HOST:PORT --count K</c>.
/// </summary>
public static class PeerPrograms
{
    /// <summary>Implementation names of the yamux peers, usable as xunit theory data.</summary>
    public const string GoYamuxName = "go-yamux";

    /// <inheritdoc cref="GoYamuxName"/>
    public const string YamuxJsName = "yamux-js";

    /// <inheritdoc cref="GoYamuxName"/>
    public const string Libp2pYamuxName = "libp2p-yamux";

    /// <summary>All yamux peer names.</summary>
    public static IReadOnlyList<string> YamuxPeerNames { get; } = [GoYamuxName, YamuxJsName, Libp2pYamuxName];

    private const string InstallHint = "Run `sudo scripts/install-deps.sh` from the repository root to install and build the interop peers.";

    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    /// <summary>The repository root: the nearest ancestor of the test binaries that contains <c>Weft.slnx</c>.</summary>
    public static string RepoRoot => s_repoRoot.Value;

    /// <summary>hashicorp/yamux (Go, Debian snapshot), built to <c>interop/go-yamux/build/go-yamux-peer</c>.</summary>
    public static PeerProgram GoYamux
    {
        get
        {
            var path = Path.Combine(RepoRoot, "interop", "go-yamux", "build", "go-yamux-peer");
            if (!File.Exists(path))
            {
                throw new PeerMissingException($"The Go yamux peer is not built ({Relative(path)} is missing). {InstallHint}");
            }
            return new PeerProgram(GoYamuxName, path, []);
        }
    }

    /// <summary>Our Go Noise peer on flynn/noise (Debian), built to <c>interop/go-noise/build/go-noise-peer</c>.</summary>
    public static PeerProgram GoNoise
    {
        get
        {
            var path = Path.Combine(RepoRoot, "interop", "go-noise", "build", "go-noise-peer");
            if (!File.Exists(path))
            {
                throw new PeerMissingException($"The Go noise peer is not built ({Relative(path)} is missing). {InstallHint}");
            }
            return new PeerProgram("go-noise", path, []);
        }
    }

    /// <summary>npm <c>yamux-js</c> 0.2.0 (with the shims documented in <c>interop/README.md</c>).</summary>
    public static PeerProgram YamuxJs => NodePeer(YamuxJsName, "yamux-js-peer.js", "yamux-js");

    /// <summary>npm <c>@chainsafe/libp2p-yamux</c> 8.0.1.</summary>
    public static PeerProgram Libp2pYamux => NodePeer(Libp2pYamuxName, "libp2p-yamux-peer.mjs", Path.Combine("@chainsafe", "libp2p-yamux"));

    /// <summary>A yamux peer by implementation name (see <see cref="YamuxPeerNames"/>).</summary>
    public static PeerProgram Get(string name) => name switch
    {
        GoYamuxName => GoYamux,
        YamuxJsName => YamuxJs,
        Libp2pYamuxName => Libp2pYamux,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown peer; known: " + string.Join(", ", YamuxPeerNames)),
    };

    /// <summary>The <c>node</c> executable on PATH.</summary>
    public static string Node => FindOnPath("node")
        ?? throw new PeerMissingException($"`node` (>= 20) is not on PATH; the npm interop peers need it. {InstallHint}");

    private static PeerProgram NodePeer(string name, string script, string package)
    {
        var jsDir = Path.Combine(RepoRoot, "interop", "js");
        var scriptPath = Path.Combine(jsDir, script);
        if (!File.Exists(scriptPath))
        {
            throw new PeerMissingException($"The {name} peer script {Relative(scriptPath)} is missing.");
        }
        var packageDir = Path.Combine(jsDir, "node_modules", package);
        if (!Directory.Exists(packageDir))
        {
            throw new PeerMissingException($"The npm package for the {name} peer is not installed ({Relative(packageDir)} is missing). {InstallHint}");
        }
        return new PeerProgram(name, Node, [scriptPath]);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Weft.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new PeerMissingException(string.Format(CultureInfo.InvariantCulture,
            "Cannot find the repository root (a folder with Weft.slnx) above {0}.", AppContext.BaseDirectory));
    }

    private static string? FindOnPath(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in OperatingSystem.IsWindows() ? [program + ".exe", program] : new[] { program })
            {
                var full = Path.Combine(dir, candidate);
                if (File.Exists(full))
                {
                    return full;
                }
            }
        }
        return null;
    }

    private static string Relative(string path) => Path.GetRelativePath(RepoRoot, path);
}
