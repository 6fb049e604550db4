using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Weft.Tunnel.Access;
using Weft.Tunnel.Forwards;

namespace Weft.Tunnel.Routing;

/// <summary>
/// Route frames (docs/tunnels.md). Pure: no I/O. Every frame:
/// <code>
///  0        1        2                 4
/// +--------+--------+--------+--------+---------------------------+
/// | version| type   | body length u16 | body (≤ 1024 bytes)        |
/// | = 1    |        | big-endian      |                            |
/// +--------+--------+--------+--------+---------------------------+
/// Open       name_len u8 | name | inner frame (TcpTarget or UdpTarget, header included)
/// Incoming   client key [32] | inner frame
/// Register   count u8 | (name_len u8 | name) × count
/// Listen     port u16 | host_len u8 | host
/// Accepted   port u16 | peer_len u8 | peer
/// TcpTarget  port u16 | host_len u8 | host            (UdpTarget the same)
/// Reply      status u8 | hop u8 | msg_len u16 | UTF-8 message
/// </code>
/// A body must be consumed exactly; anything else is a bad request.
/// </summary>
internal static class RouteCodec
{
    /// <summary>What <see cref="TryReadFrame"/> found.</summary>
    public enum ReadResult
    {
        /// <summary>More bytes are needed; nothing was consumed.</summary>
        Incomplete,

        /// <summary>A whole valid frame was consumed.</summary>
        Complete,
    }

    /// <summary>
    /// Reads one frame from <paramref name="buffer"/>: consumes nothing until it is whole; an unknown version or an
    /// oversize length throws before the body is awaited.
    /// </summary>
    /// <exception cref="RouteProtocolException">The frame is invalid.</exception>
    public static ReadResult TryReadFrame(ref ReadOnlySequence<byte> buffer, out RouteMessage? message)
    {
        message = null;
        if (buffer.Length < RouteWire.HeaderSize)
        {
            if (buffer.Length >= 1 && buffer.FirstSpan[0] != RouteWire.Version)
            {
                throw UnsupportedVersion(buffer.FirstSpan[0]);
            }

            return ReadResult.Incomplete;
        }

        Span<byte> header = stackalloc byte[RouteWire.HeaderSize];
        buffer.Slice(0, RouteWire.HeaderSize).CopyTo(header);
        int length = CheckHeader(header);
        if (buffer.Length < RouteWire.HeaderSize + length)
        {
            return ReadResult.Incomplete;
        }

        byte[] body = buffer.Slice(RouteWire.HeaderSize, length).ToArray();
        message = ParseBody((RouteFrameType)header[1], body);
        buffer = buffer.Slice(RouteWire.HeaderSize + length);
        return ReadResult.Complete;
    }

    /// <summary>Validates a header and returns the body length.</summary>
    /// <exception cref="RouteProtocolException">Wrong version, unknown type, or too long.</exception>
    public static int CheckHeader(ReadOnlySpan<byte> header)
    {
        if (header[0] != RouteWire.Version)
        {
            throw UnsupportedVersion(header[0]);
        }

        if (!Enum.IsDefined((RouteFrameType)header[1]))
        {
            throw new RouteProtocolException(RouteStatus.BadRequest, $"bad request: unknown request type 0x{header[1]:x2}");
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (length > RouteWire.MaxBodySize)
        {
            throw new RouteProtocolException(RouteStatus.BadRequest, $"bad request: {length} bytes is over the {RouteWire.MaxBodySize}-byte limit");
        }

        return length;
    }

    /// <summary>Decodes a body of type <paramref name="type"/>.</summary>
    /// <exception cref="RouteProtocolException">The body is invalid.</exception>
    public static RouteMessage ParseBody(RouteFrameType type, ReadOnlySpan<byte> body)
    {
        var reader = new BodyReader(body);
        RouteMessage message;
        switch (type)
        {
            case RouteFrameType.TcpTarget or RouteFrameType.UdpTarget:
                message = ReadTarget(ref reader, type == RouteFrameType.UdpTarget);
                break;
            case RouteFrameType.Open:
                string server = reader.String(ServerName.MaxLength, "server name");
                if (!ServerName.IsValid(server))
                {
                    throw Bad($"'{Printable(server)}' is not a server name");
                }

                message = new OpenRequest(server, ReadInner(ref reader));
                break;
            case RouteFrameType.Incoming:
                string key = Convert.ToBase64String(reader.Bytes(TunnelKey.Size, "client key"));
                message = new IncomingRequest(key, ReadInner(ref reader));
                break;
            case RouteFrameType.Register:
                int count = reader.Byte("name count");
                if (count is 0 or > RouteWire.MaxRegisterNames)
                {
                    throw Bad($"a register request holds 1 to {RouteWire.MaxRegisterNames} names, not {count}");
                }

                var names = new List<string>(count);
                for (int i = 0; i < count; i++)
                {
                    string name = reader.String(ServerName.MaxLength, "server name");
                    if (!ServerName.IsValid(name))
                    {
                        throw Bad($"'{Printable(name)}' is not a server name");
                    }

                    names.Add(name);
                }

                message = new RegisterRequest(names);
                break;
            case RouteFrameType.Listen:
                int listenPort = reader.UInt16("port");
                string bind = reader.String(RouteWire.MaxHostLength, "bind host");
                if (!ForwardSpec.IsHost(bind))
                {
                    throw Bad($"'{Printable(bind)}' is not a host name or IP address");
                }

                message = new ListenRequest(bind, listenPort);
                break;
            case RouteFrameType.Accepted:
                message = new AcceptedNotice(reader.UInt16("port"), reader.String(RouteWire.MaxHostLength, "peer"));
                break;
            case RouteFrameType.Reply:
                var status = (RouteStatus)reader.Byte("status");
                var hop = (RouteHop)reader.Byte("hop");
                int messageLength = reader.UInt16("message length");
                if (messageLength > RouteWire.MaxMessageLength)
                {
                    throw Bad($"a reply message of {messageLength} bytes is over the {RouteWire.MaxMessageLength}-byte limit");
                }

                string text = Encoding.UTF8.GetString(reader.Bytes(messageLength, "message"));
                if (!Enum.IsDefined(hop))
                {
                    throw Bad($"unknown hop {(int)hop} in a reply");
                }

                message = new RouteReply(status, hop, text);
                break;
            default:
                throw Bad($"unknown request type 0x{(byte)type:x2}");
        }

        if (!reader.End)
        {
            throw Bad($"{reader.Remaining} unexpected bytes after the request");
        }

        return message;
    }

    /// <summary>Encodes a whole frame.</summary>
    public static byte[] Encode(RouteMessage message)
    {
        var body = new ArrayBufferWriter<byte>(64);
        WriteBody(message, body);
        if (body.WrittenCount > RouteWire.MaxBodySize)
        {
            throw new ArgumentException($"route frame of {body.WrittenCount} bytes is over the limit", nameof(message));
        }

        byte[] frame = new byte[RouteWire.HeaderSize + body.WrittenCount];
        frame[0] = RouteWire.Version;
        frame[1] = (byte)message.Type;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)body.WrittenCount);
        body.WrittenSpan.CopyTo(frame.AsSpan(RouteWire.HeaderSize));
        return frame;
    }

    private static void WriteBody(RouteMessage message, ArrayBufferWriter<byte> w)
    {
        switch (message)
        {
            case TargetRequest t:
                U16(w, t.Port);
                Str(w, t.Host, RouteWire.MaxHostLength);
                break;
            case OpenRequest o:
                Str(w, o.Server, ServerName.MaxLength);
                w.Write(Encode(o.Inner));
                break;
            case IncomingRequest i:
                TunnelKey.Write(i.ClientKey, w.GetSpan(TunnelKey.Size));
                w.Advance(TunnelKey.Size);
                w.Write(Encode(i.Inner));
                break;
            case RegisterRequest r:
                w.Write([(byte)r.Names.Count]);
                foreach (string name in r.Names)
                {
                    Str(w, name, ServerName.MaxLength);
                }

                break;
            case ListenRequest l:
                U16(w, l.Port);
                Str(w, l.Host, RouteWire.MaxHostLength);
                break;
            case AcceptedNotice a:
                U16(w, a.Port);
                Str(w, a.Peer, RouteWire.MaxHostLength);
                break;
            case RouteReply r:
                w.Write([(byte)r.Status, (byte)r.Hop]);
                byte[] text = Encoding.UTF8.GetBytes(Truncate(r.Message));
                U16(w, text.Length);
                w.Write(text);
                break;
            default:
                throw new ArgumentException("unknown message", nameof(message));
        }
    }

    private static string Truncate(string message)
    {
        if (Encoding.UTF8.GetByteCount(message) <= RouteWire.MaxMessageLength)
        {
            return message;
        }

        int chars = Math.Min(message.Length, RouteWire.MaxMessageLength - 3);
        while (Encoding.UTF8.GetByteCount(message.AsSpan(0, chars)) > RouteWire.MaxMessageLength - 3)
        {
            chars--;
        }

        return message[..chars] + "...";
    }

    private static void U16(ArrayBufferWriter<byte> w, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(w.GetSpan(2), (ushort)value);
        w.Advance(2);
    }

    private static void Str(ArrayBufferWriter<byte> w, string value, int max)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length > max || bytes.Length > 255)
        {
            throw new ArgumentException($"'{value}' is longer than {max} bytes", nameof(value));
        }

        w.Write([(byte)bytes.Length]);
        w.Write(bytes);
    }

    private static TargetRequest ReadTarget(ref BodyReader reader, bool udp)
    {
        int port = reader.UInt16("port");
        string host = reader.String(RouteWire.MaxHostLength, "host");
        if (!ForwardSpec.IsHost(host))
        {
            throw Bad($"'{Printable(host)}' is not a host name or IP address");
        }

        if (port == 0)
        {
            throw Bad("target port 0");
        }

        return new TargetRequest(udp, host, port);
    }

    private static TargetRequest ReadInner(ref BodyReader reader)
    {
        ReadOnlySpan<byte> header = reader.Bytes(RouteWire.HeaderSize, "inner request");
        int length = CheckHeader(header);
        var type = (RouteFrameType)header[1];
        if (type is not (RouteFrameType.TcpTarget or RouteFrameType.UdpTarget))
        {
            throw Bad($"the inner request must be a TCP or UDP target, not type 0x{(byte)type:x2}");
        }

        ReadOnlySpan<byte> body = reader.Bytes(length, "inner request");
        return (TargetRequest)ParseBody(type, body);
    }

    private static RouteProtocolException UnsupportedVersion(byte version) =>
        new(RouteStatus.UnsupportedVersion, $"unsupported route protocol version {version} (this hop speaks version {RouteWire.Version})");

    private static RouteProtocolException Bad(string what) => new(RouteStatus.BadRequest, "bad request: " + what);

    private static string Printable(string text)
    {
        var clean = new StringBuilder(Math.Min(text.Length, 64));
        foreach (char c in text.Take(64))
        {
            clean.Append(char.IsControl(c) ? '?' : c);
        }

        return clean.ToString();
    }

    private ref struct BodyReader(ReadOnlySpan<byte> body)
    {
        private readonly ReadOnlySpan<byte> _body = body;
        private int _offset;

        public readonly bool End => _offset == _body.Length;

        public readonly int Remaining => _body.Length - _offset;

        public ReadOnlySpan<byte> Bytes(int count, string what)
        {
            if (count > Remaining)
            {
                throw Bad($"truncated {what}");
            }

            ReadOnlySpan<byte> slice = _body.Slice(_offset, count);
            _offset += count;
            return slice;
        }

        public int Byte(string what) => Bytes(1, what)[0];

        public int UInt16(string what) => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2, what));

        public string String(int max, string what)
        {
            int length = Byte(what);
            if (length == 0 || length > max)
            {
                throw Bad($"{what} of {length} bytes (1 to {max} allowed)");
            }

            try
            {
                return new UTF8Encoding(false, true).GetString(Bytes(length, what));
            }
            catch (DecoderFallbackException)
            {
                throw Bad($"{what} is not UTF-8");
            }
        }
    }
}
