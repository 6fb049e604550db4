namespace Weft.Mux.Protocol;

/// <summary>A yamux frame that cannot be decoded: the peer broke the wire format.</summary>
public sealed class YamuxFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public YamuxFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public YamuxFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public YamuxFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
