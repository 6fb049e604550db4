using System.Globalization;

namespace Weft.Cli.Config;

/// <summary>Parses and prints durations such as <c>250ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>.</summary>
internal static class Durations
{
    private static readonly (string Suffix, double Milliseconds)[] s_units =
    [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000),
    ];

    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim();
        value = default;
        foreach ((string suffix, double ms) in s_units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) &&
                double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out double number) &&
                number >= 0 && number * ms <= TimeSpan.MaxValue.TotalMilliseconds / 2)
            {
                value = TimeSpan.FromMilliseconds(number * ms);
                return true;
            }
        }

        return false;
    }

    public static string Format(TimeSpan value) => value.TotalMilliseconds switch
    {
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.###}ms"),
        < 60_000 => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###}s"),
        < 3_600_000 => string.Create(CultureInfo.InvariantCulture, $"{value.TotalMinutes:0.###}m"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value.TotalHours:0.###}h"),
    };
}
