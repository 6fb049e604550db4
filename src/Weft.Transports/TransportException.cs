namespace Weft.Transports;

/// <summary>
/// The one exception type of the transport layer for connection problems; <see cref="Error"/> says which.
/// For <see cref="TransportError.AllAttemptsFailed"/>, <see cref="Attempts"/> lists every alternative and
/// why it failed, and the message lists them too. Address syntax errors are <see cref="AddressFormatException"/>.
/// </summary>
public sealed class TransportException : IOException
{
    /// <summary>Creates an exception.</summary>
    /// <param name="error">The kind of failure.</param>
    /// <param name="message">A message that names the address and the reason.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public TransportException(TransportError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        Attempts = [];
    }

    /// <summary>Creates an aggregate failure for a multiaddress.</summary>
    /// <param name="address">The multiaddress that was dialled.</param>
    /// <param name="attempts">Every alternative tried or skipped.</param>
    public TransportException(MultiAddress address, IReadOnlyList<DialAttempt> attempts)
        : base(BuildMessage(address, attempts), attempts.Count == 1 ? attempts[0].Error : new AggregateException(attempts.Select(a => a.Error)))
    {
        Error = TransportError.AllAttemptsFailed;
        Attempts = attempts;
    }

    /// <summary>Creates an exception with a message (error <see cref="TransportError.ConnectFailed"/>).</summary>
    public TransportException()
        : this(TransportError.ConnectFailed, "The connection failed.")
    {
    }

    /// <summary>Creates an exception with a message (error <see cref="TransportError.ConnectFailed"/>).</summary>
    /// <param name="message">The message.</param>
    public TransportException(string message)
        : this(TransportError.ConnectFailed, message)
    {
    }

    /// <summary>Creates an exception with a message and cause (error <see cref="TransportError.ConnectFailed"/>).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TransportException(string message, Exception innerException)
        : this(TransportError.ConnectFailed, message, innerException)
    {
    }

    /// <summary>The kind of failure.</summary>
    public TransportError Error { get; }

    /// <summary>For <see cref="TransportError.AllAttemptsFailed"/>: each alternative and its failure; otherwise empty.</summary>
    public IReadOnlyList<DialAttempt> Attempts { get; }

    private static string BuildMessage(MultiAddress address, IReadOnlyList<DialAttempt> attempts)
    {
        var lines = attempts.Select((a, i) => $"  {i + 1}. {a}");
        return $"Could not connect to any of {address.Alternatives.Count} alternative(s) of '{address}':{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
    }
}
