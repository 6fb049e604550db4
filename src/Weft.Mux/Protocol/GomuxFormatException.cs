namespace Weft.Mux.Protocol;

/// <summary>A gomux frame that cannot be accepted: malformed header or failed authentication. The session must end.</summary>
public sealed class GomuxFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public GomuxFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public GomuxFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public GomuxFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
