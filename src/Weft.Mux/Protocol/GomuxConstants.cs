namespace Weft.Mux.Protocol;

/// <summary>
/// Wire constants of the gomux dialect (github.com/Acebond/gomux v1.0.0, checked against real captures).
/// docs/protocol.md ("gomux dialect") changes with this file.
/// </summary>
public static class GomuxConstants
{
    /// <summary>Size of every frame header: id u32 LE, length u32 LE, flags u32 LE, 24-byte nonce. The whole header is the AEAD's associated data.</summary>
    public const int HeaderSize = 36;

    /// <summary>Offset of the 24-byte XChaCha20 nonce inside the header.</summary>
    public const int NonceOffset = 12;

    /// <summary>Size of the nonce; gomux draws a fresh random one for every frame and never checks them.</summary>
    public const int NonceSize = 24;

    /// <summary>Size of the Poly1305 tag that ends every frame (a non-Data frame is the tag of an empty plaintext).</summary>
    public const int TagSize = 16;

    /// <summary>Size of the key: BLAKE2b-256 of the UTF-8 pre-shared key.</summary>
    public const int KeySize = 32;

    /// <summary>Largest length gomux accepts in a header, on every frame type; it refuses more before reading the body.</summary>
    public const int MaxLength = 65_536;

    /// <summary>Receive window every stream starts with, per direction (128 KiB).</summary>
    public const int InitialWindow = 131_072;

    /// <summary>Smallest frame on the wire: a header and an empty plaintext's tag (52 bytes).</summary>
    public const int MinFrameSize = HeaderSize + TagSize;

    /// <summary>Largest frame on the wire: a header, 65 536 payload bytes and the tag (65 588 bytes).</summary>
    public const int MaxFrameSize = HeaderSize + MaxLength + TagSize;

    /// <summary>gomux sends a Keepalive after this much write idleness.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromMinutes(10);

    /// <summary>Stream id Keepalive and CloseMux carry (they concern the whole session).</summary>
    public const uint SessionStreamId = 0;

    /// <summary>First id the client (the dialer) opens; client ids are even and step by 2.</summary>
    public const uint FirstClientStreamId = 0;

    /// <summary>First id the server (the acceptor) opens; server ids are odd and step by 2.</summary>
    public const uint FirstServerStreamId = 1;
}

/// <summary>
/// The gomux frame types: the header's flags word is an enum, not a bit mask. Each name says what the
/// RECEIVER does, so a local CloseWrite sends <see cref="CloseRead"/> and a local CloseRead sends <see cref="CloseWrite"/>.
/// </summary>
public enum GomuxFrameType : uint
{
    /// <summary>The receiver appends the <c>length</c> decrypted payload bytes to the stream's read buffer.</summary>
    Data = 0,

    /// <summary>The receiver does nothing: it only proves the connection is alive (id 0, length 0).</summary>
    Keepalive = 1,

    /// <summary>The receiver creates the stream with this id and queues it for AcceptStream.</summary>
    OpenStream = 2,

    /// <summary>The receiver stops reading the stream: the sender will write no more, so Read returns EOF once drained.</summary>
    CloseRead = 3,

    /// <summary>The receiver stops writing the stream: the sender will read no more, so Write fails.</summary>
    CloseWrite = 4,

    /// <summary>The receiver marks the stream closed by the peer in both directions and will not send CloseStream back.</summary>
    CloseStream = 5,

    /// <summary>The receiver adds <c>length</c> bytes of send credit to the stream (the sender read that many bytes).</summary>
    WindowUpdate = 6,

    /// <summary>The receiver ends the whole session: it closes the connection at once and replies with nothing.</summary>
    CloseMux = 7,
}
