namespace Weft.Transports.Stripe;

/// <summary>
/// The one exception type of the stripe layer: a bundle failed (<see cref="Error"/> says why). Reads and
/// writes of a <see cref="StripeStream"/> throw it once the bundle has failed; bytes already received in
/// order stay readable first. Dial failures are reported as <see cref="TransportException"/> with this as
/// the inner exception.
/// </summary>
public sealed class StripeException : IOException
{
    /// <summary>Creates an exception.</summary>
    /// <param name="error">The kind of failure.</param>
    /// <param name="message">A message that says what happened and what to do.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public StripeException(StripeError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Creates an exception (error <see cref="StripeError.ProtocolError"/>).</summary>
    public StripeException()
        : this(StripeError.ProtocolError, "The stripe bundle failed.")
    {
    }

    /// <summary>Creates an exception (error <see cref="StripeError.ProtocolError"/>).</summary>
    /// <param name="message">The message.</param>
    public StripeException(string message)
        : this(StripeError.ProtocolError, message)
    {
    }

    /// <summary>Creates an exception (error <see cref="StripeError.ProtocolError"/>).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public StripeException(string message, Exception innerException)
        : this(StripeError.ProtocolError, message, innerException)
    {
    }

    /// <summary>The kind of failure.</summary>
    public StripeError Error { get; }
}
