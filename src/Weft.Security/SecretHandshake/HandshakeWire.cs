namespace Weft.Security;

/// <summary>
/// secret-handshake v1 wire sizes (DESIGN.md "secret-handshake (shs1) and box-stream"; the Scuttlebutt protocol
/// guide's "Handshake" section).
/// <code>
/// msg1  C→S  64 B  hmac_K(a_pk)[32] ‖ a_pk[32]
/// msg2  S→C  64 B  hmac_K(b_pk)[32] ‖ b_pk[32]
/// msg3  C→S 112 B  secretbox_{sha256(K‖ab‖aB)}(nonce 0, sig_A[64] ‖ A_pk[32])
/// msg4  S→C  80 B  secretbox_{sha256(K‖ab‖aB‖Ab)}(nonce 0, sig_B[64])
/// </code>
/// </summary>
internal static class HandshakeWire
{
    /// <summary>Size of the network key (app key) K.</summary>
    internal const int NetworkKeySize = 32;

    /// <summary>Size of the hello messages msg1 and msg2: an HMAC and an ephemeral X25519 key.</summary>
    internal const int HelloSize = 64;

    /// <summary>Size of the client's authentication, msg3: a secretbox of a signature and the client's key.</summary>
    internal const int ClientAuthSize = 112;

    /// <summary>Size of the server's acceptance, msg4: a secretbox of a signature.</summary>
    internal const int ServerAcceptSize = 80;

    /// <summary>
    /// Weft's refusal notice: what a Weft server sends in place of msg4 when msg3 verified but its authorisation
    /// callback refused the client's key, before it hangs up. Shorter than msg4, so a client that does not know it
    /// sees a hang-up as before. It is not authenticated (anyone on the path could forge it): it only lets the
    /// client's error message tell "your key is not allowed" from "that server is not the key you dialled", in
    /// a handshake that fails either way. (Noise sends its refusal byte for the same reason.)
    /// </summary>
    internal static ReadOnlySpan<byte> RefusalNotice => "weft-shs: client key refused\n"u8;

    /// <summary>Box-stream nonces are the first 24 bytes of an HMAC of an ephemeral key.</summary>
    internal const int NonceSize = 24;

    /// <summary>msg3 and msg4 are sealed with the all-zero nonce (each key is used once).</summary>
    internal static ReadOnlySpan<byte> ZeroNonce => new byte[24];
}
