using YamlDotNet.RepresentationModel;

namespace Weft.Cli.Config;

/// <summary>
/// A mapping of a configuration file whose keys are checked against the known ones when it is opened:
/// an unknown key is an error naming the file, line and key, with a "did you mean" when one is close.
/// </summary>
internal sealed class ConfigMap
{
    private readonly ConfigNode _node;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);

    public ConfigMap(ConfigNode node, YamlMappingNode mapping, IReadOnlyCollection<string> knownKeys)
    {
        _node = node;
        foreach ((YamlNode key, YamlNode value) in mapping.Children)
        {
            string prefix = node.Path.Length == 0 ? string.Empty : node.Path + ".";
            if (key is not YamlScalarNode { Value: { Length: > 0 } name } scalarKey)
            {
                throw new ConfigException(node.File, (int)key.Start.Line, (int)key.Start.Column, node.Path, "keys must be plain names");
            }

            if (!knownKeys.Contains(name))
            {
                string? suggestion = DidYouMean(name, knownKeys);
                string hint = suggestion is null
                    ? $"known keys here: {string.Join(", ", knownKeys)}"
                    : $"did you mean '{suggestion}'?";
                throw new ConfigException(node.File, (int)key.Start.Line, (int)key.Start.Column, prefix + name, $"unknown key; {hint}");
            }

            // YamlDotNet already refuses duplicate keys while loading; this keeps the map honest regardless.
            if (!_entries.TryAdd(name, (scalarKey, value)))
            {
                throw new ConfigException(node.File, (int)key.Start.Line, (int)key.Start.Column, prefix + name, "key given twice");
            }
        }
    }

    public ConfigNode Self => _node;

    public IEnumerable<string> Keys => _entries.Keys;

    /// <summary>The value of <paramref name="key"/>, or null when absent or written as null/empty.</summary>
    public ConfigNode? Get(string key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        var node = new ConfigNode(_node.File, _node.Path.Length == 0 ? key : _node.Path + "." + key, entry.Value);
        return node.IsNull ? null : node;
    }

    public bool Has(string key) => _entries.ContainsKey(key);

    public ConfigNode Require(string key, string what)
    {
        ConfigNode? node = Get(key);
        if (node is not null)
        {
            return node;
        }

        string path = _node.Path.Length == 0 ? key : _node.Path + "." + key;
        return _entries.TryGetValue(key, out var entry)
            ? throw new ConfigException(_node.File, (int)entry.Key.Start.Line, (int)entry.Key.Start.Column, path, $"the value is empty; {what}")
            : throw new ConfigException(_node.File, _node.Line, _node.Column, path, $"missing; {what}");
    }

    /// <summary>The closest known key within a small edit distance, or null.</summary>
    public static string? DidYouMean(string name, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in known)
        {
            int distance = Distance(name.ToLowerInvariant(), candidate);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        return best is not null && bestDistance <= Math.Max(2, best.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        // Levenshtein over two rows; keys are short.
        int[] previous = new int[b.Length + 1];
        int[] current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
