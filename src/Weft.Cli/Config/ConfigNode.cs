using System.Globalization;
using Weft.Cli.Commands;
using YamlDotNet.RepresentationModel;

namespace Weft.Cli.Config;

/// <summary>
/// One value of a configuration file with where it came from (file, line, column, dotted key), so that
/// every error names the spot. Conversions throw <see cref="ConfigException"/> with a message that says
/// what was expected.
/// </summary>
internal sealed class ConfigNode
{
    public ConfigNode(string file, string path, YamlNode node)
    {
        File = file;
        Path = path;
        Node = node;
    }

    public string File { get; }

    /// <summary>The dotted key path, e.g. <c>relay.clients[0].key</c>.</summary>
    public string Path { get; }

    public YamlNode Node { get; }

    public int Line => (int)Node.Start.Line;

    public int Column => (int)Node.Start.Column;

    public bool IsNull => Node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public ConfigException Error(string problem, Exception? inner = null) => new(File, Line, Column, Path, problem, inner);

    /// <summary>A scalar as text; an empty or null value is an error.</summary>
    public string String()
    {
        if (Node is not YamlScalarNode scalar)
        {
            throw Error($"expected a single value, found {Describe(Node)}");
        }

        if (IsNull || scalar.Value is null)
        {
            throw Error("the value is empty; give a value or remove the key");
        }

        return scalar.Value;
    }

    public int Int(int min, int max)
    {
        string text = String();
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw Error($"'{text}' is not a whole number between {min} and {max}");
        }

        return value;
    }

    public bool Bool()
    {
        string text = String();
        return text.ToUpperInvariant() switch
        {
            "TRUE" or "YES" or "ON" => true,
            "FALSE" or "NO" or "OFF" => false,
            _ => throw Error($"'{text}' is not true or false"),
        };
    }

    /// <summary>A byte count such as <c>10MiB</c>, <c>512KiB</c>, <c>1000000</c>.</summary>
    public long Size(long min = 0)
    {
        string text = String();
        if (!ByteSize.TryParse(text, out long value) || value < min)
        {
            throw Error($"'{text}' is not a size of at least {min} bytes (examples: 64KiB, 10MiB, 1GiB, 1000000)");
        }

        return value;
    }

    /// <summary>A duration such as <c>250ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>.</summary>
    public TimeSpan Duration()
    {
        string text = String();
        return Durations.TryParse(text, out TimeSpan value)
            ? value
            : throw Error($"'{text}' is not a duration (examples: 250ms, 5s, 2m, 1h)");
    }

    /// <summary>A sequence, or a single scalar taken as a one-item sequence.</summary>
    public IReadOnlyList<ConfigNode> Items()
    {
        return Node switch
        {
            YamlSequenceNode sequence => sequence.Children.Select((n, i) => new ConfigNode(File, $"{Path}[{i}]", n)).ToList(),
            YamlScalarNode when IsNull => [],
            YamlScalarNode => [this],
            _ => throw Error($"expected a list, found {Describe(Node)}"),
        };
    }

    public IReadOnlyList<string> Strings() => Items().Select(i => i.String()).ToList();

    public ConfigMap Map(params string[] knownKeys)
    {
        if (Node is not YamlMappingNode mapping)
        {
            throw Error($"expected a mapping (key: value lines), found {Describe(Node)}");
        }

        return new ConfigMap(this, mapping, knownKeys);
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when string.IsNullOrEmpty(s.Value) => "nothing",
        YamlScalarNode s => $"the value '{s.Value}'",
        _ => "something else",
    };
}
