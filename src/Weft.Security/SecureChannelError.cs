namespace Weft.Security;

/// <summary>Why a secure channel (handshake or encrypted stream) failed; carried by <see cref="SecureChannelException"/>.</summary>
public enum SecureChannelError
{
    /// <summary>
    /// The peers use different network keys (app keys): the server found a bad HMAC on the client's hello (msg1),
    /// or the client found a bad HMAC on the server's reply (msg2) or the server hung up instead of replying.
    /// </summary>
    NetworkKeyMismatch,

    /// <summary>
    /// Seen by the server: the client's authentication (msg3) did not decrypt or verify, which means the client
    /// dialled a different server public key than this server's, or it is not who it claims to be. For noise: the
    /// initiator's msg1 did not decrypt (another responder key was dialled, or the network keys differ), or its
    /// Ed25519 identity does not match its static key.
    /// </summary>
    ClientAuthenticationFailed,

    /// <summary>
    /// Seen by the client: the server's acceptance (msg4, or noise's msg2) did not decrypt or verify: the server does
    /// not hold the secret key of the public key that was dialled.
    /// </summary>
    ServerAuthenticationFailed,

    /// <summary>
    /// Seen by the client: the server hung up after the client authenticated (msg3). Either the server refused this
    /// client, or it is not the server whose public key was dialled; shs itself does not let the client tell which,
    /// so a Weft server sends a short refusal notice before hanging up on a key it refuses, and the message says
    /// "refused this client's key" after that notice and "not the public key that was dialled" without it.
    /// For noise: the responder refused the handshake; the message says whether it could not authenticate msg1
    /// (wrong key or network key) or does not authorise this identity.
    /// </summary>
    HandshakeRejected,

    /// <summary>Seen by the server: the client authenticated, but the server's authorisation callback refused its key.</summary>
    ClientUnauthorized,

    /// <summary>The handshake did not complete within the configured timeout.</summary>
    HandshakeTimeout,

    /// <summary>
    /// The connection ended early: during the handshake, or on a box-stream before the peer's goodbye (which may
    /// mean the data was truncated).
    /// </summary>
    UnexpectedHangup,

    /// <summary>
    /// Encrypted data failed authentication: the stream was tampered with or corrupted (for noise also: a message was
    /// replayed, reordered or dropped).
    /// </summary>
    MessageAuthenticationFailed,

    /// <summary>The peer sent authenticated but invalid data (for example a chunk length out of range or a degenerate key).</summary>
    ProtocolViolation,
}
