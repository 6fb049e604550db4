namespace Weft.Transports.Stripe;

/// <summary>The status byte of a leg hello: what a client asks (0 or <see cref="Rejoin"/>), or the server's answer.</summary>
internal enum StripeHelloStatus : byte
{
    /// <summary>The leg is part of the bundle (client hellos also carry 0).</summary>
    Accepted = 0,

    /// <summary>A leg other than the first named a bundle id the server does not have pending (or, for a rejoin, running).</summary>
    UnknownBundle = 1,

    /// <summary>The leg does not fit its bundle: another leg count, an index already taken, another peer identity, or no rejoins left.</summary>
    NotInBundle = 2,

    /// <summary>Too many bundles are waiting for their legs; try again later.</summary>
    Busy = 3,

    /// <summary>The hello asks for something the server does not allow (leg count over its maximum, bad index, or a rejoin it does not support).</summary>
    Unsupported = 4,

    /// <summary>Client → server only: this leg replaces a dead leg (same index) of a running bundle.</summary>
    Rejoin = 5,
}
