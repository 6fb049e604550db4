namespace Weft.Security;

/// <summary>
/// Wire constants of Weft's Noise channel (docs/protocol.md, "Noise"). Every message, handshake or transport, is
/// framed as a 2-byte big-endian length followed by that many bytes:
/// <code>
/// +--------+--------+------------------------------------------+
/// | length (u16 BE) | Noise message: length bytes (≤ 65 535)    |
/// +--------+--------+------------------------------------------+
/// msg1 (initiator → responder), 128 bytes:  e (32) | enc(s) (32+16) | enc(Ed25519 public key) (32+16)
/// msg2 (responder → initiator),  48 bytes:  e (32) | enc(empty) (16)
/// refusal instead of msg2,         1 byte:  reason (1 = cannot authenticate, 2 = not authorised); unauthenticated
/// transport message, 16..65 535 bytes:      ChaCha20-Poly1305(counter nonce, no associated data)
/// close: a transport message with an empty plaintext (16 bytes: the tag alone)
/// </code>
/// </summary>
internal static class NoiseWire
{
    /// <summary>The Noise protocol name; exactly 32 bytes, so it is the initial handshake hash itself (Noise §5.2).</summary>
    internal static ReadOnlySpan<byte> ProtocolName => "Noise_IK_25519_ChaChaPoly_SHA256"u8;

    /// <summary>The prologue's fixed prefix; the 32-byte network key, when configured, follows it.</summary>
    internal static ReadOnlySpan<byte> ProloguePrefix => "weft-noise/1"u8;

    /// <summary>Size of the big-endian length prefix of every message.</summary>
    internal const int LengthSize = 2;

    /// <summary>Largest Noise message (Noise §3): the length field's range.</summary>
    internal const int MaxMessageSize = 65535;

    /// <summary>Size of a ChaCha20-Poly1305 tag.</summary>
    internal const int TagSize = 16;

    /// <summary>Largest plaintext of one transport message that a receiver accepts (Noise's limit).</summary>
    internal const int MaxPlaintextSize = MaxMessageSize - TagSize;

    /// <summary>
    /// Largest plaintext this implementation puts in one transport message: 65 024 = 127 × 512 bytes, so that a 64 KiB
    /// write is two messages of whole multiples of 512 (65 024 + 512). The in-box ChaCha20-Poly1305 (OpenSSL 3 with
    /// AVX-512) runs about a third faster on such lengths than on, say, 65 519 (docs/benchmarks.md, "Noise").
    /// </summary>
    internal const int SendPlaintextSize = 127 * SendGranule;

    /// <summary>The length multiple that the sender prefers for message plaintexts (see <see cref="SendPlaintextSize"/>).</summary>
    internal const int SendGranule = 512;

    /// <summary>
    /// A shorter last piece of a write is split into a multiple of <see cref="SendGranule"/> and the rest (under 512
    /// bytes) only from this size on: below it the faster cipher does not pay for the second AEAD call (~1 µs).
    /// </summary>
    internal const int SplitThreshold = 16 * 1024;

    /// <summary>Largest frame on the wire: length prefix and the largest message.</summary>
    internal const int MaxFrameSize = LengthSize + MaxMessageSize;

    /// <summary>Size of an X25519 public key, a DH output, a cipher key and a SHA-256 hash.</summary>
    internal const int KeySize = 32;

    /// <summary>Size of the Ed25519 public key the initiator sends as the payload of msg1.</summary>
    internal const int IdentityPayloadSize = 32;

    /// <summary>Size of msg1 in Weft's use of IK: e, encrypted s, encrypted identity payload.</summary>
    internal const int Message1Size = KeySize + KeySize + TagSize + IdentityPayloadSize + TagSize;

    /// <summary>Size of msg2 in Weft's use of IK: e and the tag of an empty payload.</summary>
    internal const int Message2Size = KeySize + TagSize;

    /// <summary>Size of a refusal, sent by the responder in place of msg2.</summary>
    internal const int RefusalSize = 1;

    /// <summary>
    /// Each direction's cipher key is replaced by Noise's <c>Rekey()</c> after every this many transport messages:
    /// message n (counting from 0) is sealed with the key after n / 65 536 rekeys. The nonce keeps counting.
    /// </summary>
    internal const ulong RekeyInterval = 65536;
}
