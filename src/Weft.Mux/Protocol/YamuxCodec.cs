using System.Buffers;
using System.Buffers.Binary;

namespace Weft.Mux.Protocol;

/// <summary>
/// Pure yamux frame codec: no I/O, no clocks, no state. Readers consume nothing until a whole frame is
/// buffered, and reject an impossible length before the payload is awaited.
/// </summary>
public static class YamuxCodec
{
    //  0        1        2        4            8           12
    //  +--------+--------+--------+------------+-----------+------------------+
    //  |version |  type  | flags  | stream id  |  length   | payload (Data)   |
    //  |  u8=0  |   u8   | u16 BE |   u32 BE   |  u32 BE   | length bytes     |
    //  +--------+--------+--------+------------+-----------+------------------+

    /// <summary>
    /// Tries to read one whole frame from the front of <paramref name="buffer"/>.
    /// </summary>
    /// <param name="buffer">Buffered bytes; on success it is advanced past the frame.</param>
    /// <param name="maxDataLength">Largest acceptable Data payload; a longer one is rejected as soon as its header is seen.</param>
    /// <param name="header">The decoded header.</param>
    /// <param name="payload">The Data payload (empty for other types); a slice of the original buffer.</param>
    /// <returns>True when a frame was read; false when more bytes are needed (nothing consumed).</returns>
    /// <exception cref="YamuxFormatException">The header is malformed; the session must end with a protocol error.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, uint maxDataLength, out YamuxHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (!TryReadHeader(buffer, out header))
        {
            return false;
        }

        uint payloadLength = header.PayloadLength;
        if (payloadLength > maxDataLength)
        {
            throw new YamuxFormatException($"data frame of {payloadLength} bytes on stream {header.StreamId} exceeds the maximum of {maxDataLength}");
        }

        long total = YamuxConstants.HeaderSize + (long)payloadLength;
        if (buffer.Length < total)
        {
            return false;
        }

        payload = buffer.Slice(YamuxConstants.HeaderSize, payloadLength);
        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>Decodes and validates a header without consuming anything.</summary>
    /// <param name="buffer">Buffered bytes.</param>
    /// <param name="header">The decoded header.</param>
    /// <returns>False when fewer than 12 bytes are buffered.</returns>
    /// <exception cref="YamuxFormatException">Bad version or unknown type.</exception>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out YamuxHeader header)
    {
        if (buffer.Length < YamuxConstants.HeaderSize)
        {
            header = default;
            return false;
        }

        Span<byte> raw = stackalloc byte[YamuxConstants.HeaderSize];
        buffer.Slice(0, YamuxConstants.HeaderSize).CopyTo(raw);
        header = DecodeHeader(raw);
        return true;
    }

    /// <summary>Decodes and validates a 12-byte header.</summary>
    /// <param name="raw">Exactly the header bytes.</param>
    /// <returns>The header.</returns>
    /// <exception cref="YamuxFormatException">Bad version or unknown type.</exception>
    public static YamuxHeader DecodeHeader(ReadOnlySpan<byte> raw)
    {
        if (raw[0] != YamuxConstants.Version)
        {
            throw new YamuxFormatException($"unsupported yamux version {raw[0]}");
        }

        byte type = raw[1];
        if (type > (byte)YamuxFrameType.GoAway)
        {
            throw new YamuxFormatException($"unknown frame type {type}");
        }

        return new YamuxHeader(
            (YamuxFrameType)type,
            (YamuxFlags)BinaryPrimitives.ReadUInt16BigEndian(raw[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(raw[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(raw[8..]));
    }

    /// <summary>Encodes a header into exactly 12 bytes.</summary>
    /// <param name="destination">At least 12 bytes.</param>
    /// <param name="header">The header.</param>
    public static void WriteHeader(Span<byte> destination, in YamuxHeader header)
    {
        destination[0] = YamuxConstants.Version;
        destination[1] = (byte)header.Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)header.Flags);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], header.StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], header.Length);
    }

    /// <summary>Writes a whole frame (header and, for Data, the payload) to <paramref name="writer"/>.</summary>
    /// <param name="writer">The destination.</param>
    /// <param name="header">The header; for Data its length must equal the payload's.</param>
    /// <param name="payload">The payload (Data frames only).</param>
    public static void WriteFrame(IBufferWriter<byte> writer, in YamuxHeader header, ReadOnlySpan<byte> payload = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (header.PayloadLength != (uint)payload.Length)
        {
            throw new ArgumentException("payload length does not match the header", nameof(payload));
        }

        Span<byte> span = writer.GetSpan(YamuxConstants.HeaderSize + payload.Length);
        WriteHeader(span, header);
        payload.CopyTo(span[YamuxConstants.HeaderSize..]);
        writer.Advance(YamuxConstants.HeaderSize + payload.Length);
    }
}
