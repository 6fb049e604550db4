using System.CommandLine;
using Weft.Cli.Config;
using Weft.Cli.Hosting;
using YamlDotNet.RepresentationModel;

namespace Weft.Cli.Commands;

/// <summary>
/// The options every long-running command shares (<c>relay</c>, <c>serve</c>, <c>connect</c>, <c>up</c>):
/// identity, network key, control socket, logging. Command-line values become <see cref="ConfigNode"/>s
/// named after their option, so that they are checked by the same code as the config file.
/// </summary>
internal sealed class HostOptions
{
    public const string CommandLine = "command line";

    public Option<string?> Identity { get; } = new("--identity", "-i")
    {
        Description = "Identity file made by 'weft keygen' [default: ~/.weft/identity.key]",
        HelpName = "path",
    };

    public Option<string?> NetworkKeyFile { get; } = new("--network-key-file")
    {
        Description = "File holding the network's 32-byte key in base64; every peer must use the same [default: the built-in key, SHA-256 of 'weft']",
        HelpName = "path",
    };

    public Option<string?> Control { get; } = new("--control")
    {
        Description = "Control socket for 'weft status': a path, 'auto' or 'off' [default: auto = $XDG_RUNTIME_DIR/weft/weft-PID.sock, else ~/.weft/run/weft-PID.sock]",
        HelpName = "path|auto|off",
    };

    public Option<string?> LogLevel { get; } = new("--log-level")
    {
        Description = "trace, debug, information, warning, error, critical or none [default: information]",
        HelpName = "level",
    };

    public Option<string?> LogFormat { get; } = new("--log-format")
    {
        Description = "text (one line per event) or json (one object per line) [default: text]; logs go to standard error",
        HelpName = "format",
    };

    public void AddTo(Command command, bool withIdentity = true)
    {
        if (withIdentity)
        {
            command.Options.Add(Identity);
            command.Options.Add(NetworkKeyFile);
        }

        command.Options.Add(Control);
        command.Options.Add(LogLevel);
        command.Options.Add(LogFormat);
    }

    /// <summary>A command-line value as a config node, so that the config checks apply and errors name the option.</summary>
    public static ConfigNode Node(string option, string value) => new(CommandLine, option, new YamlScalarNode(value));

    /// <summary>A repeated command-line option as a list node.</summary>
    public static ConfigNode Nodes(string option, IEnumerable<string> values) =>
        new(CommandLine, option, new YamlSequenceNode(values.Select(v => (YamlNode)new YamlScalarNode(v))));

    public IdentityRef IdentityRef(ParseResult parse)
    {
        string path = parse.GetValue(Identity) ?? DefaultPaths.Identity;
        return new IdentityRef(ConfigLoader.ResolvePath(path, Environment.CurrentDirectory), CommandLine, 0, 0, parse.GetValue(Identity) is null ? "--identity (default ~/.weft/identity.key)" : "--identity");
    }

    public byte[] NetworkKey(ParseResult parse)
    {
        if (parse.GetValue(NetworkKeyFile) is not { } file)
        {
            return ConfigLoader.DefaultNetworkKey;
        }

        ConfigNode node = Node("--network-key-file", file);
        string text = ConfigLoader.ReadSecretFile(node, Environment.CurrentDirectory);
        byte[] key = new byte[33];
        return Convert.TryFromBase64String(text, key, out int written) && written == 32
            ? key[..32]
            : throw node.Error("the file does not hold a network key: expected 32 bytes in base64 (make one with: head -c 32 /dev/urandom | base64)");
    }

    /// <summary>Applies <c>--control</c>, <c>--log-level</c> and <c>--log-format</c> over <paramref name="config"/>.</summary>
    public WeftConfig Apply(ParseResult parse, WeftConfig config)
    {
        if (parse.GetValue(Control) is { } control)
        {
            config = config with { ControlSocket = ConfigLoader.ControlPath(control, Environment.CurrentDirectory) };
        }

        if (parse.GetValue(LogLevel) is { } level)
        {
            config = Logging.TryParseLevel(level, out var parsed)
                ? config with { LogLevel = parsed }
                : throw Node("--log-level", level).Error($"'{level}' is not a log level (trace, debug, information, warning, error, critical, none)");
        }

        if (parse.GetValue(LogFormat) is { } format)
        {
            config = Logging.TryParseFormat(format, out var parsed)
                ? config with { LogFormat = parsed }
                : throw Node("--log-format", format).Error($"'{format}' is not a log format (text, json)");
        }

        return config;
    }

    /// <summary>
    /// Runs a command's body: builds the config (reporting <see cref="ConfigException"/> as exit code 2),
    /// then runs the host until Ctrl-C or SIGTERM (exit 0), or exits 1 when a role cannot start.
    /// </summary>
    public static async Task<int> RunAsync(Func<WeftConfig> build)
    {
        WeftConfig config;
        try
        {
            config = build();
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"weft: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        using var signal = new ShutdownSignal(message => Console.Error.WriteLine($"weft: {message}"));
        return await WeftHost.RunAsync(config, Console.Out, Console.Error, signal.Stopping).ConfigureAwait(false);
    }

    /// <summary>Splits <c>KEY:REST</c> (keys are base64, which never holds ':'); REST may be empty.</summary>
    public static (ConfigNode Key, string? Remainder) SplitKey(string option, string value)
    {
        int colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon < 0
            ? (Node(option, value), null)
            : (Node(option, value[..colon]), value[(colon + 1)..]);
    }
}
