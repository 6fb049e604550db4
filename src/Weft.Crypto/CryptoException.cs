namespace Weft.Crypto;

/// <summary>
/// The one exception type of <c>Weft.Crypto</c>: the native library is missing or failed to initialise,
/// a key is malformed, a key file cannot be read, or a primitive reported failure.
/// </summary>
/// <remarks>Messages never contain key material.</remarks>
public sealed class CryptoException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public CryptoException()
        : base("A cryptographic operation failed.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What failed, without key material.</param>
    public CryptoException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What failed, without key material.</param>
    /// <param name="innerException">The underlying cause.</param>
    public CryptoException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
