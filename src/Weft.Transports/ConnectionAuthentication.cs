namespace Weft.Transports;

/// <summary>What the layers of a connection established about the peer.</summary>
public enum ConnectionAuthentication
{
    /// <summary>No layer said anything: a raw transport connection.</summary>
    None,

    /// <summary>
    /// A layer explicitly marked the peer as unauthenticated but admitted (the <c>noauth</c> layer, meant
    /// for device scope only: whoever can reach the socket is trusted by virtue of being on the device).
    /// </summary>
    Unauthenticated,

    /// <summary>A security layer verified the peer; <see cref="TransportConnection.PeerIdentity"/> names it.</summary>
    Authenticated,
}
