namespace Weft.Security;

/// <summary>
/// Why a responder refused a handshake: the single byte it sends in place of msg2 before closing. It is not
/// authenticated (a man in the middle could forge it); it only explains a failure that happens anyway.
/// </summary>
internal enum NoiseRefusal : byte
{
    /// <summary>msg1 did not decrypt: the initiator dialled another key, or the network keys (prologues) differ.</summary>
    CannotAuthenticate = 1,

    /// <summary>The initiator proved its key, and the authorisation callback refused it.</summary>
    Unauthorized = 2,
}
