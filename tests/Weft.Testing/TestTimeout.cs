using System.Globalization;

namespace Weft.Testing;

/// <summary>
/// Timeout tokens for tests: every test runs under one (STYLE rule 15), so a hang becomes a clear failure.
/// </summary>
/// <remarks>
/// Timeouts are multiplied by the environment variable <c>WEFT_TEST_TIMEOUT_SCALE</c> (a positive
/// number, default 1) so a slow or heavily shared machine can stretch them without code changes.
/// </remarks>
public static class TestTimeout
{
    /// <summary>The default per-test timeout in seconds.</summary>
    public const int DefaultSeconds = 30;

    /// <summary>The multiplier read from <c>WEFT_TEST_TIMEOUT_SCALE</c> (1 when unset or invalid).</summary>
    public static double Scale { get; } = ReadScale();

    /// <summary>
    /// A token cancelled after <paramref name="seconds"/> (scaled) or when the current xunit test is
    /// cancelled (<see cref="TestContext.Current"/>), whichever comes first.
    /// </summary>
    /// <param name="seconds">Timeout in seconds before scaling.</param>
    /// <returns>The token. Its source is released when it fires; nothing needs disposing.</returns>
    public static CancellationToken Token(double seconds = DefaultSeconds) => Create(seconds).Token;

    /// <summary>
    /// Like <see cref="Token"/> but returns the source, for a test that wants to dispose it early or to
    /// cancel it itself.
    /// </summary>
    /// <param name="seconds">Timeout in seconds before scaling.</param>
    /// <returns>A linked source that cancels itself after the timeout.</returns>
    public static CancellationTokenSource Create(double seconds = DefaultSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(Scaled(TimeSpan.FromSeconds(seconds)));
        return source;
    }

    /// <summary>Scales a duration by <see cref="Scale"/>.</summary>
    /// <param name="duration">The unscaled duration.</param>
    /// <returns>The scaled duration.</returns>
    public static TimeSpan Scaled(TimeSpan duration) => duration * Scale;

    private static double ReadScale()
    {
        string? text = Environment.GetEnvironmentVariable("WEFT_TEST_TIMEOUT_SCALE");
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double scale) && scale > 0 ? scale : 1;
    }
}
