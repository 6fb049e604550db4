namespace Weft.Crypto;

/// <summary>Argument checks shared by the wrappers; they keep native calls inside their buffers.</summary>
internal static class Guard
{
    internal static void Length(ReadOnlySpan<byte> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"Must be exactly {expected} bytes (was {span.Length}).", name);
        }
    }

    internal static void AtLeast(ReadOnlySpan<byte> span, int expected, string name)
    {
        if (span.Length < expected)
        {
            throw new ArgumentException($"Must be at least {expected} bytes (was {span.Length}).", name);
        }
    }
}
