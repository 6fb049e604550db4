namespace Weft.Tunnel.Agents;

/// <summary>
/// How an agent replaces a broken session (seed 000: use a session until it breaks, then make a new one
/// quickly): exponential backoff with full jitter. Attempt n waits a random time in
/// [<c>delay/2</c>, <c>delay</c>] where <c>delay = min(MaxDelay, InitialDelay × Multiplier^n)</c>; a session that
/// stayed up for <see cref="ResetAfter"/> resets the count.
/// </summary>
public sealed class ReconnectPolicy
{
    /// <summary>The default policy.</summary>
    public static ReconnectPolicy Default { get; } = new();

    /// <summary>Delay before the first retry. Default: 250 ms.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay. Default: 30 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Growth per failed attempt. Default: 2.</summary>
    public double Multiplier { get; init; } = 2;

    /// <summary>A session that lived this long counts as healthy: the next failure starts again at <see cref="InitialDelay"/>. Default: 10 s.</summary>
    public TimeSpan ResetAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before attempt <paramref name="attempt"/> (0-based), jittered.</summary>
    /// <param name="attempt">Failed attempts so far.</param>
    /// <param name="random">Source of jitter.</param>
    /// <returns>The delay.</returns>
    public TimeSpan GetDelay(int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double factor = Math.Pow(Multiplier, Math.Min(attempt, 60));
        double ceiling = Math.Min(MaxDelay.TotalMilliseconds, InitialDelay.TotalMilliseconds * factor);
        return TimeSpan.FromMilliseconds((ceiling / 2) + (random.NextDouble() * ceiling / 2));
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialDelay, TimeSpan.Zero, nameof(InitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(Multiplier, 1, nameof(Multiplier));
    }
}
