using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Weft.Tunnel.Access;

/// <summary>A range of ports in an ACL rule: <c>22</c>, <c>8000-8100</c> or <c>*</c> (1-65535).</summary>
public sealed class PortRange
{
    /// <summary>Creates a range.</summary>
    /// <param name="first">Lowest port (0-65535).</param>
    /// <param name="last">Highest port, at least <paramref name="first"/>.</param>
    public PortRange(int first, int last)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(last, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        First = first;
        Last = last;
    }

    /// <summary>Every port, 1-65535.</summary>
    public static PortRange Any { get; } = new(1, 65535);

    /// <summary>Lowest port.</summary>
    public int First { get; }

    /// <summary>Highest port.</summary>
    public int Last { get; }

    /// <summary>Parses <c>22</c>, <c>8000-8100</c> or <c>*</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The range.</returns>
    /// <exception cref="FormatException">Invalid.</exception>
    public static PortRange Parse(string text) =>
        TryParse(text, out PortRange? range)
            ? range
            : throw new FormatException($"'{text}' is not a port range (write 22, 8000-8100 or *).");

    /// <summary>Parses without throwing.</summary>
    /// <param name="text">The text.</param>
    /// <param name="range">The range when true.</param>
    /// <returns>True when valid.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PortRange? range)
    {
        range = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text == "*")
        {
            range = Any;
            return true;
        }

        int dash = text.IndexOf('-', StringComparison.Ordinal);
        string a = dash < 0 ? text : text[..dash];
        string b = dash < 0 ? text : text[(dash + 1)..];
        if (int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out int first) &&
            int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out int last) &&
            first is >= 0 and <= 65535 && last is >= 0 and <= 65535 && first <= last)
        {
            range = new PortRange(first, last);
            return true;
        }

        return false;
    }

    /// <summary>Whether <paramref name="port"/> lies in the range.</summary>
    /// <param name="port">The port.</param>
    /// <returns>True when inside.</returns>
    public bool Contains(int port) => port >= First && port <= Last;

    /// <inheritdoc/>
    public override string ToString() =>
        First == 1 && Last == 65535 ? "*" : First == Last ? First.ToString(CultureInfo.InvariantCulture) : $"{First}-{Last}";
}
