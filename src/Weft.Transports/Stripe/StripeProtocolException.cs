namespace Weft.Transports.Stripe;

/// <summary>Peer misbehaviour on the stripe wire; caught where the leg is read and turned into a failed bundle.</summary>
internal sealed class StripeProtocolException : Exception
{
    public StripeProtocolException(string message)
        : base(message)
    {
    }

    public StripeProtocolException()
    {
    }

    public StripeProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
