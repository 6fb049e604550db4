using System.Buffers.Binary;

namespace Weft.Transports.Stripe;

/// <summary>
/// The stripe wire format: the leg hello and the four frame types. Pure: no I/O, no state. Every integer
/// is big-endian. Readers consume nothing until a whole frame is buffered and reject an oversize length
/// from the header alone, before the payload is awaited.
/// </summary>
internal static class StripeWire
{
    /// <summary>First 8 bytes of every hello: ASCII "WEFTSTRP".</summary>
    public static ReadOnlySpan<byte> Magic => "WEFTSTRP"u8;

    /// <summary>The protocol version this code speaks.</summary>
    public const byte Version = 1;

    /// <summary>Size of a hello (both directions).</summary>
    public const int HelloSize = 32;

    /// <summary>Size of every frame header; Data adds its payload, Ack adds the 8-byte window limit.</summary>
    public const int HeaderSize = 16;

    /// <summary>Size of a whole Ack frame.</summary>
    public const int AckSize = 24;

    /// <summary>Ack flag: the sender of the Ack has received the FIN of the direction it acknowledges.</summary>
    public const byte AckFlagFinReceived = 1;

    /// <summary>Largest leg count a hello can carry (one byte) and that Weft accepts.</summary>
    public const int MaxLegs = 64;

    //  Hello, 32 bytes, client → server on each new leg, and the server's answer on the same leg:
    //  0          8         9         10        11        12             16                       32
    //  +----------+---------+---------+---------+---------+--------------+------------------------+
    //  | "WEFTSTRP"| version | legs u8 | index u8| status  | window u32   | bundle id (16 bytes)   |
    //  +----------+---------+---------+---------+---------+--------------+------------------------+
    //  window = the sender's receive window in bytes (how far the peer may send before the first Ack).

    /// <summary>Writes a hello.</summary>
    public static void WriteHello(Span<byte> destination, int legCount, int legIndex, StripeHelloStatus status, int receiveWindow, UInt128 bundleId)
    {
        Magic.CopyTo(destination);
        destination[8] = Version;
        destination[9] = (byte)legCount;
        destination[10] = (byte)legIndex;
        destination[11] = (byte)status;
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], (uint)receiveWindow);
        BinaryPrimitives.WriteUInt128BigEndian(destination[16..], bundleId);
    }

    /// <summary>Decodes a whole 32-byte hello.</summary>
    /// <exception cref="StripeProtocolException">Not a stripe hello (bad magic), an unknown version, or an impossible window.</exception>
    public static StripeHello ReadHello(ReadOnlySpan<byte> source)
    {
        if (source.Length < HelloSize || !source[..8].SequenceEqual(Magic))
        {
            throw new StripeProtocolException("the leg did not start with a stripe hello (is the other side a stripe endpoint?)");
        }

        if (source[8] != Version)
        {
            throw new StripeProtocolException($"the hello has stripe version {source[8]}; this side speaks version {Version}");
        }

        uint window = BinaryPrimitives.ReadUInt32BigEndian(source[12..]);
        if (window > int.MaxValue)
        {
            throw new StripeProtocolException($"the hello announces a receive window of {window} bytes, more than the maximum of {int.MaxValue}");
        }

        return new StripeHello(source[8], source[9], source[10], (StripeHelloStatus)source[11], (int)window, BinaryPrimitives.ReadUInt128BigEndian(source[16..]));
    }

    //  Frame header, 16 bytes:
    //  0        1        2           4              8                          16
    //  +--------+--------+-----------+--------------+--------------------------+
    //  |  type  | flags  | rsv u16=0 |  u32 field   |  u64 field               |  then: Data payload (length bytes)
    //  +--------+--------+-----------+--------------+--------------------------+        or Ack window limit (u64)
    //  Data  (0): u32 = length (1..max), u64 = stream offset of the first byte; flags 0
    //  Ack   (1): u32 = 0, u64 = Data payload bytes received on THIS leg; + u64 window limit; flags bit 0 = FIN received
    //  Fin   (2): u32 = 0, u64 = final stream offset (total bytes of the direction); flags 0
    //  Reset (3): u32 = code (0 closed, 1 protocol error), u64 = 0; flags 0

    /// <summary>Writes a Data header (the payload follows it).</summary>
    public static void WriteDataHeader(Span<byte> destination, long offset, int length) =>
        WriteHeader(destination, StripeFrameType.Data, 0, (uint)length, (ulong)offset);

    /// <summary>Writes a whole Ack frame (24 bytes).</summary>
    public static void WriteAck(Span<byte> destination, long legReceived, long windowLimit, bool finReceived)
    {
        WriteHeader(destination, StripeFrameType.Ack, finReceived ? AckFlagFinReceived : (byte)0, 0, (ulong)legReceived);
        BinaryPrimitives.WriteUInt64BigEndian(destination[HeaderSize..], (ulong)windowLimit);
    }

    /// <summary>Writes a whole Fin frame (16 bytes).</summary>
    public static void WriteFin(Span<byte> destination, long finalOffset) =>
        WriteHeader(destination, StripeFrameType.Fin, 0, 0, (ulong)finalOffset);

    /// <summary>Writes a whole Reset frame (16 bytes).</summary>
    public static void WriteReset(Span<byte> destination, StripeResetCode code) =>
        WriteHeader(destination, StripeFrameType.Reset, 0, (uint)code, 0);

    /// <summary>
    /// Tries to read one whole frame from the front of <paramref name="buffer"/>. An oversize or empty Data
    /// length is rejected from the header alone.
    /// </summary>
    /// <param name="buffer">Buffered bytes of one leg.</param>
    /// <param name="maxPayload">Largest acceptable Data payload.</param>
    /// <param name="frame">The frame; its payload is <c>buffer.Slice(PayloadStart, PayloadLength)</c>.</param>
    /// <param name="consumed">Bytes the frame occupies (0 when false is returned).</param>
    /// <returns>False when more bytes are needed.</returns>
    /// <exception cref="StripeProtocolException">A malformed frame.</exception>
    public static bool TryReadFrame(ReadOnlySpan<byte> buffer, int maxPayload, out StripeFrame frame, out int consumed)
    {
        frame = default;
        consumed = 0;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }

        byte type = buffer[0];
        byte flags = buffer[1];
        ushort reserved = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        uint value32 = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        ulong value64 = BinaryPrimitives.ReadUInt64BigEndian(buffer[8..]);
        if (reserved != 0)
        {
            throw new StripeProtocolException($"frame type {type} has non-zero reserved bytes");
        }

        switch ((StripeFrameType)type)
        {
            case StripeFrameType.Data:
                if (flags != 0)
                {
                    throw new StripeProtocolException($"data frame with unknown flags 0x{flags:x2}");
                }

                if (value32 == 0)
                {
                    throw new StripeProtocolException("empty data frame");
                }

                if (value32 > (uint)maxPayload)
                {
                    throw new StripeProtocolException($"data frame of {value32} bytes exceeds the maximum chunk of {maxPayload} bytes");
                }

                if (value64 > (ulong)(long.MaxValue - value32))
                {
                    throw new StripeProtocolException($"data frame offset {value64} is out of range");
                }

                if (buffer.Length < HeaderSize + (int)value32)
                {
                    return false;
                }

                frame = new StripeFrame(StripeFrameType.Data, 0, value32, value64, 0, HeaderSize, (int)value32);
                consumed = HeaderSize + (int)value32;
                return true;

            case StripeFrameType.Ack:
                if ((flags & ~AckFlagFinReceived) != 0 || value32 != 0)
                {
                    throw new StripeProtocolException($"ack frame with unknown flags 0x{flags:x2} or a non-zero reserved field");
                }

                if (buffer.Length < AckSize)
                {
                    return false;
                }

                ulong limit = BinaryPrimitives.ReadUInt64BigEndian(buffer[HeaderSize..]);
                if (value64 > long.MaxValue || limit > long.MaxValue)
                {
                    throw new StripeProtocolException("ack frame value out of range");
                }

                frame = new StripeFrame(StripeFrameType.Ack, flags, 0, value64, limit, AckSize, 0);
                consumed = AckSize;
                return true;

            case StripeFrameType.Fin:
                if (flags != 0 || value32 != 0 || value64 > long.MaxValue)
                {
                    throw new StripeProtocolException("malformed fin frame");
                }

                frame = new StripeFrame(StripeFrameType.Fin, 0, 0, value64, 0, HeaderSize, 0);
                consumed = HeaderSize;
                return true;

            case StripeFrameType.Reset:
                if (flags != 0 || value64 != 0)
                {
                    throw new StripeProtocolException("malformed reset frame");
                }

                frame = new StripeFrame(StripeFrameType.Reset, 0, value32, 0, 0, HeaderSize, 0);
                consumed = HeaderSize;
                return true;

            default:
                throw new StripeProtocolException($"unknown frame type {type}");
        }
    }

    private static void WriteHeader(Span<byte> destination, StripeFrameType type, byte flags, uint value32, ulong value64)
    {
        destination[0] = (byte)type;
        destination[1] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], value32);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], value64);
    }
}
