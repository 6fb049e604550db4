using System.Globalization;
using System.Text.Json;

namespace Weft.LoadTest;

/// <summary>
/// Collects medians per (test, implementation), writes them as JSON lines as they arrive, and prints the
/// table with the ratios to raw TCP and to Go yamux at the end.
/// </summary>
internal sealed class Report
{
    public const string Raw = "raw-tcp";
    public const string Weft = "weft";
    public const string Go = "go-yamux";
    public const string WeftToGo = "weft>go";
    public const string GoToWeft = "go>weft";

    private static readonly string[] s_columns = [Raw, Weft, Go, WeftToGo, GoToWeft];

    private readonly TextWriter? _json;
    private readonly List<TestInfo> _tests = [];
    private readonly Dictionary<(string Test, string Impl), double> _values = [];
    private readonly Dictionary<(string Test, string Impl), string> _errors = [];
    private readonly List<string> _machine = [];

    public Report(TextWriter? json)
    {
        _json = json;
    }

    public int Failures => _errors.Count;

    /// <summary>Declares a test row (once) before its values are added.</summary>
    public void Declare(string test, string unit, string description)
    {
        if (!_tests.Exists(t => t.Name == test))
        {
            _tests.Add(new TestInfo(test, unit, description));
        }
    }

    public void Add(string test, string impl, IReadOnlyList<double> samples)
    {
        TestInfo info = _tests.Find(t => t.Name == test) ?? throw new InvalidOperationException($"test {test} was not declared");
        double median = Median(samples);
        _values[(test, impl)] = median;
        _json?.WriteLine(JsonSerializer.Serialize(new JsonLine(test, impl, Math.Round(median, 3), info.Unit, [.. samples.Select(s => Math.Round(s, 3))])));
        _json?.Flush();
    }

    public void Fail(string test, string impl, string error)
    {
        _errors[(test, impl)] = error;
        _json?.WriteLine(JsonSerializer.Serialize(new { test, impl, value = (double?)null, unit = "error", error }));
        _json?.Flush();
    }

    /// <summary>A fact about the run (cores, load average), as a JSON line with impl "machine" and in the table footer.</summary>
    public void Machine(string name, double value, string unit)
    {
        _machine.Add($"{name} {value.ToString(CultureInfo.InvariantCulture)} {unit}");
        if (!double.IsNaN(value))
        {
            _json?.WriteLine(JsonSerializer.Serialize(new { test = name, impl = "machine", value, unit }));
            _json?.Flush();
        }
    }

    /// <summary>Writes the ratio lines: weft/raw-tcp and weft/go-yamux for every test that has both.</summary>
    public void EmitRatios()
    {
        foreach (TestInfo test in _tests)
        {
            foreach (string against in new[] { Raw, Go })
            {
                if (TryRatio(test.Name, against, out double ratio))
                {
                    _json?.WriteLine(JsonSerializer.Serialize(new { test = test.Name, impl = $"{Weft}/{against}", value = Math.Round(ratio, 3), unit = "ratio" }));
                }
            }
        }

        _json?.Flush();
    }

    public void PrintTable(TextWriter output)
    {
        string[] header = ["test", "unit", .. s_columns, "weft/raw", "weft/go"];
        var rows = new List<string[]> { header };
        foreach (TestInfo test in _tests)
        {
            var row = new List<string> { test.Name, test.Unit };
            foreach (string impl in s_columns)
            {
                row.Add(_values.TryGetValue((test.Name, impl), out double v) ? Format(v)
                    : _errors.ContainsKey((test.Name, impl)) ? "FAIL" : "-");
            }

            row.Add(TryRatio(test.Name, Raw, out double r1) ? r1.ToString("0.00", CultureInfo.InvariantCulture) : "-");
            row.Add(TryRatio(test.Name, Go, out double r2) ? r2.ToString("0.00", CultureInfo.InvariantCulture) : "-");
            rows.Add([.. row]);
        }

        int[] widths = [.. Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length))];
        foreach (string[] row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c < 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        }

        output.WriteLine();
        foreach (TestInfo test in _tests)
        {
            output.WriteLine($"  {test.Name}: {test.Description}");
        }

        output.WriteLine($"  machine: {string.Join(", ", _machine)}");
        foreach (((string test, string impl), string error) in _errors)
        {
            output.WriteLine($"  FAIL {test} {impl}: {error}");
        }
    }

    public static double Median(IReadOnlyList<double> samples)
    {
        double[] sorted = [.. samples.Order()];
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    private bool TryRatio(string test, string against, out double ratio)
    {
        ratio = 0;

        // Bytes held or allocated: raw TCP's figure is about zero, so a ratio would only be noise.
        if (_tests.Find(t => t.Name == test) is { } info && info.Unit.StartsWith("B/", StringComparison.Ordinal))
        {
            return false;
        }

        if (_values.TryGetValue((test, Weft), out double weft) && _values.TryGetValue((test, against), out double other) && other > 0)
        {
            ratio = weft / other;
            return true;
        }

        return false;
    }

    private static string Format(double value) =>
        Math.Abs(value) >= 100 ? value.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 10 ? value.ToString("0.0", CultureInfo.InvariantCulture)
        : value.ToString("0.00", CultureInfo.InvariantCulture);

    private sealed record TestInfo(string Name, string Unit, string Description);

    private sealed record JsonLine(
        [property: System.Text.Json.Serialization.JsonPropertyName("test")] string Test,
        [property: System.Text.Json.Serialization.JsonPropertyName("impl")] string Impl,
        [property: System.Text.Json.Serialization.JsonPropertyName("value")] double Value,
        [property: System.Text.Json.Serialization.JsonPropertyName("unit")] string Unit,
        [property: System.Text.Json.Serialization.JsonPropertyName("samples")] double[] Samples);
}
