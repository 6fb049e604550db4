namespace Weft.Transports;

/// <summary>One alternative the multi-address client tried (or skipped) and how it ended.</summary>
/// <param name="Address">The alternative.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Elapsed">How long the attempt ran (zero when it was skipped).</param>
public sealed record DialAttempt(Address Address, Exception Error, TimeSpan Elapsed)
{
    /// <summary>One line: the address and the reason.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Address}: {Error.Message}";
}
