namespace Weft.Mux;

/// <summary>The one public exception of the mux layer: what went wrong is in <see cref="Error"/>.</summary>
public sealed class MuxException : IOException
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    /// <param name="error">The error kind.</param>
    /// <param name="message">A message for people.</param>
    /// <param name="innerException">The cause, if any.</param>
    public MuxException(MuxError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Creates an exception with a default error.</summary>
    public MuxException()
        : this(MuxError.SessionClosed, "mux session closed")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MuxException(string message)
        : this(MuxError.SessionClosed, message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MuxException(string message, Exception innerException)
        : this(MuxError.SessionClosed, message, innerException)
    {
    }

    /// <summary>What went wrong.</summary>
    public MuxError Error { get; }

    /// <summary>The GoAway code the peer sent, when the error came from a GoAway.</summary>
    public uint? GoAwayCode { get; init; }
}
