using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Weft.Crypto;

namespace Weft.Mux.Protocol;

/// <summary>
/// Stateless helpers for the 36-byte gomux header: decode with validation, encode. The header is plain
/// text on the wire but authenticated, so a decoded header is only trusted once
/// <see cref="GomuxFrameCodec.TryReadFrame(ref ReadOnlySequence{byte}, Span{byte}, out GomuxHeader, out int)"/> has verified the tag.
/// </summary>
public static class GomuxCodec
{
    /// <summary>
    /// Decodes and validates a header. Every check needs only these 36 bytes, so a bad frame is refused
    /// before its body is awaited (gomux refuses an over-long length the same way).
    /// </summary>
    /// <param name="raw">At least <see cref="GomuxConstants.HeaderSize"/> bytes.</param>
    /// <param name="acceptOversizedWindowUpdate">
    /// Accept a WindowUpdate credit above <see cref="GomuxConstants.MaxLength"/>. gomux itself refuses one; see
    /// <see cref="GomuxFrameCodec.AcceptOversizedWindowUpdates"/>.
    /// </param>
    /// <returns>The header.</returns>
    /// <exception cref="GomuxFormatException">Length over the maximum, unknown type, or a length on a type that has none.</exception>
    public static GomuxHeader DecodeHeader(ReadOnlySpan<byte> raw, bool acceptOversizedWindowUpdate = false)
    {
        if (raw.Length < GomuxConstants.HeaderSize)
        {
            throw new ArgumentException($"a gomux header is {GomuxConstants.HeaderSize} bytes", nameof(raw));
        }

        uint id = BinaryPrimitives.ReadUInt32LittleEndian(raw);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(raw[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);

        // gomux checks the length first, for every type, before it reads the body.
        bool oversizedCreditAllowed = acceptOversizedWindowUpdate && flags == (uint)GomuxFrameType.WindowUpdate;
        if (length > GomuxConstants.MaxLength && !oversizedCreditAllowed)
        {
            throw new GomuxFormatException(
                $"frame length {length} exceeds the maximum of {GomuxConstants.MaxLength} (flags {flags}, stream {id})");
        }

        if (flags > (uint)GomuxFrameType.CloseMux)
        {
            throw new GomuxFormatException($"unknown frame type {flags} on stream {id}");
        }

        var type = (GomuxFrameType)flags;
        if (length != 0 && type is not (GomuxFrameType.Data or GomuxFrameType.WindowUpdate))
        {
            throw new GomuxFormatException(
                $"{type} frame on stream {id} has length {length}; only Data and WindowUpdate frames carry a length");
        }

        return new GomuxHeader(id, length, type, new GomuxNonce(raw.Slice(GomuxConstants.NonceOffset, GomuxConstants.NonceSize)));
    }

    /// <summary>Decodes and validates the header at the front of <paramref name="buffer"/> without consuming anything.</summary>
    /// <param name="buffer">Buffered bytes.</param>
    /// <param name="header">The decoded header.</param>
    /// <param name="acceptOversizedWindowUpdate">See <see cref="DecodeHeader"/>.</param>
    /// <returns>False when fewer than 36 bytes are buffered.</returns>
    /// <exception cref="GomuxFormatException">The header is invalid.</exception>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out GomuxHeader header, bool acceptOversizedWindowUpdate = false)
    {
        if (buffer.Length < GomuxConstants.HeaderSize)
        {
            header = default;
            return false;
        }

        Span<byte> raw = stackalloc byte[GomuxConstants.HeaderSize];
        buffer.Slice(0, GomuxConstants.HeaderSize).CopyTo(raw);
        header = DecodeHeader(raw, acceptOversizedWindowUpdate);
        return true;
    }

    /// <summary>Encodes a header into exactly 36 bytes.</summary>
    /// <param name="destination">At least <see cref="GomuxConstants.HeaderSize"/> bytes.</param>
    /// <param name="header">The header.</param>
    public static void WriteHeader(Span<byte> destination, in GomuxHeader header)
    {
        WriteHeaderFields(destination, header.StreamId, header.Type, header.Length);
        header.Nonce.CopyTo(destination[GomuxConstants.NonceOffset..GomuxConstants.HeaderSize]);
    }

    /// <summary>Wire size of a frame of <paramref name="type"/> whose header says <paramref name="length"/>.</summary>
    /// <param name="type">The frame type.</param>
    /// <param name="length">The header's length field.</param>
    /// <returns>36 + payload + 16.</returns>
    public static long WireLength(GomuxFrameType type, uint length) =>
        GomuxConstants.HeaderSize + (type == GomuxFrameType.Data ? (long)length : 0) + GomuxConstants.TagSize;

    internal static void WriteHeaderFields(Span<byte> destination, uint streamId, GomuxFrameType type, uint length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, streamId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)type);
    }
}

/// <summary>
/// The gomux frame codec: XChaCha20-Poly1305 under a pre-shared key, the whole 36-byte header as associated
/// data. No I/O, no clocks; its only state is the key, so one instance may read and write from several threads.
/// </summary>
/// <remarks>
/// Sealing and opening go through <see cref="XChaCha20Poly1305"/> (HChaCha20 + the in-box ChaCha20-Poly1305,
/// which is several times faster than libsodium's on OpenSSL platforms). gomux has no replay or reordering
/// protection: nonces are random and nobody checks them, so this codec cannot detect a replayed or reordered
/// frame either (docs/protocol.md, "gomux dialect").
/// </remarks>
public sealed class GomuxFrameCodec : IDisposable
{
    private const string AuthenticationFailed = "frame authentication failed: wrong pre-shared key or tampered frame";

    private readonly XChaCha20Poly1305 _aead;

    /// <summary>Creates a codec whose key is BLAKE2b-256 of the UTF-8 bytes of <paramref name="psk"/>, as gomux derives it.</summary>
    /// <param name="psk">The pre-shared key string given to gomux's <c>Client</c>/<c>Server</c>.</param>
    public GomuxFrameCodec(string psk)
    {
        ArgumentNullException.ThrowIfNull(psk);
        Span<byte> key = stackalloc byte[GomuxConstants.KeySize];
        try
        {
            DeriveKey(psk, key);
            _aead = new XChaCha20Poly1305(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Creates a codec from a raw 32-byte key.</summary>
    /// <param name="key">Exactly <see cref="GomuxConstants.KeySize"/> bytes (copied).</param>
    public GomuxFrameCodec(ReadOnlySpan<byte> key)
    {
        if (key.Length != GomuxConstants.KeySize)
        {
            throw new ArgumentException($"a gomux key is {GomuxConstants.KeySize} bytes", nameof(key));
        }

        _aead = new XChaCha20Poly1305(key);
    }

    /// <summary>
    /// Accept a WindowUpdate whose credit exceeds <see cref="GomuxConstants.MaxLength"/> instead of refusing it.
    /// Default <see langword="false"/>: refuse, exactly as gomux does.
    /// </summary>
    /// <remarks>
    /// gomux sends WindowUpdate(n) for every Read of n bytes, and n reaches 131 072 when the application reads with
    /// a buffer over 64 KiB, which its own peer then refuses. Accepting it keeps a Weft peer talking to such a
    /// gomux where a gomux peer would have died; it costs nothing in safety (the frame is still authenticated
    /// and the credit is only a number). The session layer decides.
    /// </remarks>
    public bool AcceptOversizedWindowUpdates { get; init; }

    /// <summary>Derives the gomux key: BLAKE2b-256 (unkeyed) of the UTF-8 bytes of <paramref name="psk"/>.</summary>
    /// <param name="psk">The pre-shared key string.</param>
    /// <param name="key">Receives <see cref="GomuxConstants.KeySize"/> bytes.</param>
    public static void DeriveKey(string psk, Span<byte> key)
    {
        ArgumentNullException.ThrowIfNull(psk);
        if (key.Length != GomuxConstants.KeySize)
        {
            throw new ArgumentException($"a gomux key is {GomuxConstants.KeySize} bytes", nameof(key));
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(psk);
        try
        {
            Blake2b.Hash(utf8, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8);
        }
    }

    //  0          4          8          12                                36
    //  +----------+----------+----------+---------------------------------+
    //  |    id    |  length  |  flags   |          nonce (24 bytes)       |   header = AAD
    //  |  u32 LE  |  u32 LE  |  u32 LE  |   random per frame, unchecked   |
    //  +----------+----------+----------+---------------------------------+
    //  36                                 36 + n                 36 + n + 16
    //  +----------------------------------+----------------------+
    //  |  ciphertext (n bytes)            |  Poly1305 tag (16)   |   n = length for Data, 0 otherwise
    //  +----------------------------------+----------------------+
    //  XChaCha20-Poly1305(key = BLAKE2b-256(psk), nonce, plaintext, aad = bytes 0..36)

    /// <summary>
    /// Tries to read, authenticate and decrypt one whole frame from the front of <paramref name="buffer"/>.
    /// </summary>
    /// <param name="buffer">Buffered bytes; advanced past the frame only on success.</param>
    /// <param name="payload">
    /// Receives the Data plaintext; must hold <see cref="GomuxConstants.MaxLength"/> bytes or at least the frame's
    /// length. Its first bytes may be overwritten even when the method returns false or throws.
    /// </param>
    /// <param name="header">The authenticated header.</param>
    /// <param name="payloadLength">Plaintext bytes written to <paramref name="payload"/> (0 for non-Data frames).</param>
    /// <returns>True when a frame was read; false when more bytes are needed (nothing consumed).</returns>
    /// <exception cref="GomuxFormatException">A bad header (thrown as soon as its 36 bytes are buffered) or a tag that does not verify. The session must end.</exception>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, Span<byte> payload, out GomuxHeader header, out int payloadLength)
    {
        payloadLength = 0;
        Span<byte> raw = stackalloc byte[GomuxConstants.HeaderSize];
        if (!TryPeek(buffer, raw, out header))
        {
            return false;
        }

        int length = header.PayloadLength;
        if (payload.Length < length)
        {
            throw new ArgumentException($"the payload buffer holds {payload.Length} bytes; the frame carries {length}", nameof(payload));
        }

        Open(ref buffer, raw, header, payload[..length]);
        payloadLength = length;
        return true;
    }

    /// <summary>
    /// Tries to read, authenticate and decrypt one whole frame, appending the Data plaintext to <paramref name="payload"/>.
    /// </summary>
    /// <param name="buffer">Buffered bytes; advanced past the frame only on success.</param>
    /// <param name="payload">Receives the Data plaintext (advanced by the frame's length only on success).</param>
    /// <param name="header">The authenticated header.</param>
    /// <returns>True when a frame was read; false when more bytes are needed (nothing consumed).</returns>
    /// <exception cref="GomuxFormatException">A bad header or a tag that does not verify. The session must end.</exception>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, IBufferWriter<byte> payload, out GomuxHeader header)
    {
        ArgumentNullException.ThrowIfNull(payload);
        Span<byte> raw = stackalloc byte[GomuxConstants.HeaderSize];
        if (!TryPeek(buffer, raw, out header))
        {
            return false;
        }

        int length = header.PayloadLength;
        Span<byte> destination = length == 0 ? default : payload.GetSpan(length)[..length];
        Open(ref buffer, raw, header, destination);
        if (length != 0)
        {
            payload.Advance(length);
        }

        return true;
    }

    /// <summary>
    /// Seals and writes one frame. A random nonce is drawn unless <paramref name="nonce"/> is given.
    /// </summary>
    /// <param name="writer">The destination.</param>
    /// <param name="streamId">The stream id (0 for Keepalive and CloseMux).</param>
    /// <param name="type">The frame type.</param>
    /// <param name="length">Data: must equal <c>payload.Length</c>; WindowUpdate: the credit; every other type: 0. At most <see cref="GomuxConstants.MaxLength"/>.</param>
    /// <param name="payload">The Data plaintext; empty for every other type.</param>
    /// <param name="nonce">Empty for a fresh random nonce (always, in production), or exactly 24 bytes (tests, golden vectors).</param>
    public void WriteFrame(IBufferWriter<byte> writer, uint streamId, GomuxFrameType type, uint length, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> nonce = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if ((uint)type > (uint)GomuxFrameType.CloseMux)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "not a gomux frame type");
        }

        // Never emit a frame gomux would refuse: it drops the session on a length over 65536 of any type.
        if (length > GomuxConstants.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"gomux refuses a length over {GomuxConstants.MaxLength}; split the frame");
        }

        if (type == GomuxFrameType.Data ? length != (uint)payload.Length : !payload.IsEmpty)
        {
            throw new ArgumentException("only Data frames carry a payload, and its length must equal the length field", nameof(payload));
        }

        if (length != 0 && type is not (GomuxFrameType.Data or GomuxFrameType.WindowUpdate))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"a {type} frame has length 0");
        }

        if (!nonce.IsEmpty && nonce.Length != GomuxConstants.NonceSize)
        {
            throw new ArgumentException($"a gomux nonce is {GomuxConstants.NonceSize} bytes", nameof(nonce));
        }

        int total = GomuxConstants.HeaderSize + payload.Length + GomuxConstants.TagSize;
        Seal(writer.GetSpan(total), streamId, type, length, payload, nonce);
        writer.Advance(total);
    }

    /// <summary>
    /// Seals one already-validated frame into <paramref name="destination"/> (the session's outgoing buffer).
    /// The caller guarantees the invariants <see cref="WriteFrame"/> checks.
    /// </summary>
    /// <returns>The frame's wire size.</returns>
    internal int Seal(Span<byte> destination, uint streamId, GomuxFrameType type, uint length, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> nonce = default)
    {
        int total = GomuxConstants.HeaderSize + payload.Length + GomuxConstants.TagSize;
        Span<byte> frame = destination[..total];
        Span<byte> header = frame[..GomuxConstants.HeaderSize];
        Span<byte> frameNonce = header[GomuxConstants.NonceOffset..];
        GomuxCodec.WriteHeaderFields(header, streamId, type, length);
        if (nonce.IsEmpty)
        {
            SecureRandom.Fill(frameNonce);
        }
        else
        {
            nonce.CopyTo(frameNonce);
        }

        _aead.Encrypt(
            frameNonce,
            payload,
            frame.Slice(GomuxConstants.HeaderSize, payload.Length),
            frame[(GomuxConstants.HeaderSize + payload.Length)..],
            header);
        return total;
    }

    /// <summary>Writes <paramref name="payload"/> as Data frames of at most <see cref="GomuxConstants.MaxLength"/> bytes each.</summary>
    /// <param name="writer">The destination.</param>
    /// <param name="streamId">The stream id.</param>
    /// <param name="payload">The bytes to send; empty writes no frame.</param>
    /// <returns>The number of frames written.</returns>
    public int WriteData(IBufferWriter<byte> writer, uint streamId, ReadOnlySpan<byte> payload)
    {
        int frames = 0;
        while (!payload.IsEmpty)
        {
            int chunk = Math.Min(payload.Length, GomuxConstants.MaxLength);
            WriteFrame(writer, streamId, GomuxFrameType.Data, (uint)chunk, payload[..chunk]);
            payload = payload[chunk..];
            frames++;
        }

        return frames;
    }

    /// <summary>
    /// Grants <paramref name="credit"/> bytes as WindowUpdate frames of at most <see cref="GomuxConstants.MaxLength"/>
    /// each: gomux adds them up, and kills the session on a single frame over the maximum.
    /// </summary>
    /// <param name="writer">The destination.</param>
    /// <param name="streamId">The stream id.</param>
    /// <param name="credit">The credit to grant; 0 writes no frame.</param>
    /// <returns>The number of frames written.</returns>
    public int WriteWindowUpdate(IBufferWriter<byte> writer, uint streamId, long credit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(credit);
        int frames = 0;
        while (credit > 0)
        {
            uint chunk = (uint)Math.Min(credit, GomuxConstants.MaxLength);
            WriteFrame(writer, streamId, GomuxFrameType.WindowUpdate, chunk, default);
            credit -= chunk;
            frames++;
        }

        return frames;
    }

    /// <summary>Wipes the key.</summary>
    public void Dispose() => _aead.Dispose();

    private bool TryPeek(in ReadOnlySequence<byte> buffer, Span<byte> raw, out GomuxHeader header)
    {
        if (buffer.Length < GomuxConstants.HeaderSize)
        {
            header = default;
            return false;
        }

        buffer.Slice(0, GomuxConstants.HeaderSize).CopyTo(raw);

        // Validated before the body is awaited, so an over-long length cannot make us buffer 4 GiB.
        header = GomuxCodec.DecodeHeader(raw, AcceptOversizedWindowUpdates);
        return buffer.Length >= header.WireLength;
    }

    /// <summary>
    /// Authenticates one whole buffered frame and decrypts its payload into <paramref name="plaintext"/>: straight from
    /// the buffer's segments, however the frame straddles them (no gather copy on the OpenSSL path).
    /// </summary>
    /// <param name="frame">The buffered bytes, starting with the frame (at least its wire length).</param>
    /// <param name="raw">The frame's 36 header bytes (the associated data; the nonce is at 12).</param>
    /// <param name="plaintext">Exactly the frame's payload length (empty for non-Data frames); on failure it may have been written and is cleared.</param>
    /// <exception cref="GomuxFormatException">The tag does not verify.</exception>
    internal void Open(in ReadOnlySequence<byte> frame, ReadOnlySpan<byte> raw, Span<byte> plaintext)
    {
        int length = plaintext.Length;
        Span<byte> tag = stackalloc byte[GomuxConstants.TagSize];
        frame.Slice(GomuxConstants.HeaderSize + length, GomuxConstants.TagSize).CopyTo(tag);
        ReadOnlySpan<byte> nonce = raw.Slice(GomuxConstants.NonceOffset, GomuxConstants.NonceSize);
        if (!_aead.TryDecrypt(nonce, frame.Slice(GomuxConstants.HeaderSize, length), tag, plaintext, raw[..GomuxConstants.HeaderSize]))
        {
            throw new GomuxFormatException(AuthenticationFailed);
        }
    }

    private void Open(ref ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> raw, in GomuxHeader header, Span<byte> plaintext)
    {
        Open(buffer, raw, plaintext);
        buffer = buffer.Slice(header.WireLength);
    }
}
