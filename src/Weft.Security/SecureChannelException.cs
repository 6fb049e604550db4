namespace Weft.Security;

/// <summary>
/// The one exception type of <c>Weft.Security</c>: a handshake or an encrypted stream failed. <see cref="Error"/> says
/// why. Messages never contain key material.
/// </summary>
public sealed class SecureChannelException : IOException
{
    /// <summary>Creates an exception for <see cref="SecureChannelError.ProtocolViolation"/> with a generic message.</summary>
    public SecureChannelException()
        : this(SecureChannelError.ProtocolViolation, "The secure channel failed.")
    {
    }

    /// <summary>Creates an exception for <see cref="SecureChannelError.ProtocolViolation"/>.</summary>
    /// <param name="message">What failed.</param>
    public SecureChannelException(string message)
        : this(SecureChannelError.ProtocolViolation, message)
    {
    }

    /// <summary>Creates an exception for <see cref="SecureChannelError.ProtocolViolation"/> with a cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The underlying cause.</param>
    public SecureChannelException(string message, Exception innerException)
        : this(SecureChannelError.ProtocolViolation, message, innerException)
    {
    }

    /// <summary>Creates an exception with a reason.</summary>
    /// <param name="error">Why the channel failed.</param>
    /// <param name="message">What failed, in words a user can act on.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public SecureChannelException(SecureChannelError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Why the channel failed.</summary>
    public SecureChannelError Error { get; }
}
