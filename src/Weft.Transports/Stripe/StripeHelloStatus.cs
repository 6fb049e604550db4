namespace Weft.Transports.Stripe;

/// <summary>Answer of the server to a leg hello.</summary>
internal enum StripeHelloStatus : byte
{
    /// <summary>The leg is part of the bundle (client hellos also carry 0).</summary>
    Accepted = 0,

    /// <summary>A leg other than the first named a bundle id the server does not have pending.</summary>
    UnknownBundle = 1,

    /// <summary>The leg does not fit its bundle: another leg count, an index already taken, or another peer identity.</summary>
    NotInBundle = 2,

    /// <summary>Too many bundles are waiting for their legs; try again later.</summary>
    Busy = 3,

    /// <summary>The hello asks for something the server does not allow (leg count over its maximum, bad index).</summary>
    Unsupported = 4,
}
